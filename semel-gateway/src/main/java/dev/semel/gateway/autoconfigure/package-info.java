/**
 * Spring Boot auto-configuration of the {@code Idempotency} gateway filter, for any Spring Cloud
 * Gateway application that has semel-gateway and the Semel starter on its class path.
 */
package dev.semel.gateway.autoconfigure;
