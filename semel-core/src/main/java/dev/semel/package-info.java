/**
 * The idempotency API for applications and adapters: {@link dev.semel.Idempotency} and its configuration, keys, scopes, policies, outcomes and events.
 */
@NullMarked
package dev.semel;

import org.jspecify.annotations.NullMarked;
