/**
 * Core's own helpers, public only so that core's other packages can reach them: no
 * compatibility promises, not for use outside semel-core.
 */
@NullMarked
package dev.semel.internal;

import org.jspecify.annotations.NullMarked;
