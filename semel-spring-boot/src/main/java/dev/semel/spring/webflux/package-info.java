/**
 * Spring WebFlux integration: the auto-configuration of semel-webflux's idempotency filter.
 */
package dev.semel.spring.webflux;
