package dev.semel.webflux;

import dev.semel.CallOptions;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the {@link IdempotencyWebFilter} treats the requests of one route: which methods it
 * protects, whether a key is required, and the per-route overrides of the engine's
 * configuration (TTL, lease, in-progress and outcome policies). The same rule as the Servlet
 * filter's route, so one application configures both adapters alike.
 *
 * <p>Immutable. Configured per path pattern on the filter's builder.
 *
 * <pre>{@code
 * IdempotentRoute payments = IdempotentRoute.builder()
 *         .keyRequired(true)
 *         .options(CallOptions.custom()
 *                 .ttl(Duration.ofHours(1))
 *                 .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(2)))
 *                 .build())
 *         .build();
 * }</pre>
 */
public final class IdempotentRoute {
    /** The methods protected unless a route says otherwise. */
    public static final Set<String> DEFAULT_METHODS =
            Collections.unmodifiableSortedSet(new TreeSet<>(List.of("PATCH", "POST")));

    /** POST and PATCH, key optional, the engine's defaults for everything else. */
    public static final IdempotentRoute DEFAULTS = builder().build();

    private final Set<String> methods;
    private final boolean keyRequired;
    private final CallOptions callOptions;

    private IdempotentRoute(Builder b) {
        this.methods = b.methods;
        this.keyRequired = b.keyRequired;
        this.callOptions = b.callOptions;
    }

    /**
     * Starts a route with the defaults: POST and PATCH, key optional, engine defaults.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder holding this route's settings, to derive a variant.
     *
     * @return a builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.methods = methods;
        b.keyRequired = keyRequired;
        b.callOptions = callOptions;
        return b;
    }

    /**
     * Whether this route protects a request method.
     *
     * @param method an HTTP method, case-sensitive as HTTP says (upper case)
     * @return {@code true} if requests with this method go through the engine
     */
    public boolean protects(String method) {
        return methods.contains(method);
    }

    /** @return the protected methods, upper case, sorted */
    public Set<String> methods() {
        return methods;
    }

    /**
     * Whether a request without a key is refused with 400 (otherwise it passes through
     * unprotected).
     *
     * @return {@code true} if a key is required
     */
    public boolean keyRequired() {
        return keyRequired;
    }

    /**
     * The engine overrides for this route (TTL, lease, policies); unset values fall back
     * to the engine's configuration.
     *
     * @return the options passed to every engine call of this route
     */
    public CallOptions callOptions() {
        return callOptions;
    }

    @Override
    public String toString() {
        return "IdempotentRoute[methods=" + methods + ", keyRequired=" + keyRequired + ", " + callOptions + "]";
    }

    /** Builds an {@link IdempotentRoute}. */
    public static final class Builder {
        private Set<String> methods = DEFAULT_METHODS;
        private boolean keyRequired;
        private CallOptions callOptions = CallOptions.DEFAULTS;

        private Builder() {
        }

        /**
         * Sets the protected methods (replacing POST and PATCH).
         *
         * @param methods HTTP methods, at least one; GET, HEAD, OPTIONS and TRACE are safe
         *     methods and refused
         * @return this builder
         * @throws IllegalArgumentException for an empty list or a safe method
         */
        public Builder methods(String... methods) {
            if (methods.length == 0) {
                throw new IllegalArgumentException("at least one method is required");
            }
            TreeSet<String> set = new TreeSet<>();
            for (String m : Arrays.asList(methods)) {
                String upper = Objects.requireNonNull(m, "method").trim().toUpperCase(Locale.ROOT);
                if (upper.isEmpty()) {
                    throw new IllegalArgumentException("a method must not be empty");
                }
                if (Set.of("GET", "HEAD", "OPTIONS", "TRACE").contains(upper)) {
                    throw new IllegalArgumentException(upper + " is a safe method; it needs no idempotency key");
                }
                set.add(upper);
            }
            this.methods = Collections.unmodifiableSortedSet(set);
            return this;
        }

        /**
         * Sets whether requests without a key are refused (400) rather than passed through.
         *
         * @param required {@code true} to require a key; default {@code false}
         * @return this builder
         */
        public Builder keyRequired(boolean required) {
            this.keyRequired = required;
            return this;
        }

        /**
         * Sets this route's overrides of the engine's configuration: TTL, lease duration,
         * in-progress policy (409 at once or wait), outcome policy.
         *
         * @param options the overrides; default {@link CallOptions#DEFAULTS} (the engine's settings)
         * @return this builder
         */
        public Builder options(CallOptions options) {
            this.callOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Builds the route.
         *
         * @return the route
         */
        public IdempotentRoute build() {
            return new IdempotentRoute(this);
        }
    }
}
