package dev.semel;

import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Who asks and for what: the namespace an idempotency key lives in.
 *
 * <p>The caller is the authenticated principal or tenant ({@linkplain #anonymous(String)
 * anonymous} callers share one scope); the operation names the protected action, for HTTP
 * the method and route <em>template</em> ({@code POST /payments/{id}/refunds}). The same
 * key under two scopes denotes two unrelated records, so keys from different callers or
 * routes never collide.
 *
 * <pre>{@code
 * Scope scope = Scope.of("tenant-42", "POST /payments");
 * String id = scope.recordId(IdempotencyKey.of("order-7"));  // 64 hex characters
 * }</pre>
 */
public final class Scope {
    private final @Nullable String caller;
    private final String operation;

    private Scope(@Nullable String caller, String operation) {
        this.caller = caller;
        this.operation = Objects.requireNonNull(operation, "operation");
        if (operation.isEmpty()) {
            throw new IllegalArgumentException("operation must not be empty");
        }
    }

    /**
     * A scope for an identified caller.
     *
     * @param caller the caller's identity, or {@code null} for an anonymous caller
     * @param operation the protected operation, not empty
     * @return the scope
     */
    public static Scope of(@Nullable String caller, String operation) {
        return new Scope(caller, operation);
    }

    /**
     * The scope anonymous callers of an operation share.
     *
     * @param operation the protected operation, not empty
     * @return the scope
     */
    public static Scope anonymous(String operation) {
        return new Scope(null, operation);
    }

    /**
     * Returns the caller's identity.
     *
     * @return the caller, or empty for anonymous callers
     */
    public Optional<String> caller() {
        return Optional.ofNullable(caller);
    }

    /**
     * Returns the protected operation.
     *
     * @return the operation name
     */
    public String operation() {
        return operation;
    }

    /**
     * Returns the fixed-length id a store keeps the record of this scope and key under:
     * the lower-case hex SHA-256 of both, with fields length-prefixed so that no two
     * different (caller, operation, key) triples share an id.
     *
     * @param key the idempotency key
     * @return 64 hexadecimal characters
     */
    public String recordId(IdempotencyKey key) {
        MessageDigest digest = Hashing.threadSha256();
        digest.update((byte) (caller == null ? 0 : 1));
        Hashing.field(digest, caller == null ? "" : caller);
        Hashing.field(digest, operation);
        Hashing.field(digest, key.value());
        return Hashing.hex(digest.digest());
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Scope other && Objects.equals(caller, other.caller) && operation.equals(other.operation);
    }

    @Override
    public int hashCode() {
        return Objects.hash(caller, operation);
    }

    /** Readable form for logs and admin queries: {@code caller operation}, {@code -} when anonymous. */
    @Override
    public String toString() {
        return (caller == null ? "-" : caller) + " " + operation;
    }
}
