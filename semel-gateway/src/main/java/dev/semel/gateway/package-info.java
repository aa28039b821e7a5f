/**
 * Idempotency-Key in front of any backend: the {@link dev.semel.gateway.IdempotencyGatewayFilterFactory}
 * for Spring Cloud Gateway (server WebFlux) and the runnable {@link dev.semel.gateway.SemelGatewayApplication}.
 */
package dev.semel.gateway;
