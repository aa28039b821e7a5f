/**
 * Helpers shared between Semel's own modules; no compatibility promises, not for use outside Semel.
 */
@NullMarked
package dev.semel.internal;

import org.jspecify.annotations.NullMarked;
