/**
 * Idempotency-Key support for Spring WebFlux: {@link dev.semel.webflux.IdempotencyWebFilter},
 * configured per path with {@link dev.semel.webflux.IdempotentRoute}. No store call runs on
 * the server's event loop.
 */
package dev.semel.webflux;
