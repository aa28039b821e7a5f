package dev.semel.spring.method;

import java.time.Duration;

/**
 * A command that carries its own idempotency key (and optionally its TTL), so that command
 * buses and handlers work without a SpEL expression.
 *
 * <p>When a method annotated {@link dev.semel.spring.Idempotent @Idempotent} has no
 * {@code key} expression, the key comes from its first argument implementing this interface:
 *
 * <pre>{@code
 * record ShipOrder(String requestId, String orderId) implements IdempotentCommand {
 *     public String idempotencyKey() { return requestId; }
 * }
 *
 * @Component
 * class ShipOrderHandler {
 *     @Idempotent
 *     public Shipment handle(ShipOrder command) { ... }
 * }
 * }</pre>
 */
public interface IdempotentCommand {

    /**
     * Returns the key identifying this logical command: every re-dispatch of it carries the same.
     *
     * @return 1 to 255 printable ASCII characters
     */
    String idempotencyKey();

    /**
     * Returns how long this command's result is replayed.
     *
     * @return the TTL, or {@code null} (the default) for the method's or the configured TTL
     */
    default Duration idempotencyTtl() {
        return null;
    }
}
