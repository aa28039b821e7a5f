package dev.semel.servlet;

import dev.semel.CallOptions;
import dev.semel.InProgressPolicy;
import dev.semel.OutcomePolicy;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the {@link IdempotencyFilter} treats the requests of one route: which methods it
 * protects, whether a key is required, and the per-route overrides of the engine's
 * configuration (TTL, lease, in-progress and outcome policies).
 *
 * <p>Immutable. Configured per path pattern on the filter's builder, or returned per
 * request by a {@link RouteResolver} (a framework that knows the handler, such as Spring
 * MVC with an {@code @Idempotent} annotation, decides per endpoint this way).
 *
 * {@snippet :
 * IdempotentRoute payments = IdempotentRoute.builder()
 *         .keyRequired(true)
 *         .ttl(Duration.ofHours(1))
 *         .inProgressPolicy(InProgressPolicy.waitUpTo(Duration.ofSeconds(2)))
 *         .build();
 * }
 */
public final class IdempotentRoute {
    /** The methods protected unless a route says otherwise. */
    public static final Set<String> DEFAULT_METHODS = Set.of("POST", "PATCH");

    /** POST and PATCH, key optional, the engine's defaults for everything else. */
    public static final IdempotentRoute DEFAULTS = builder().build();

    private final Set<String> methods;
    private final boolean keyRequired;
    private final Duration ttl;
    private final Duration leaseDuration;
    private final InProgressPolicy inProgressPolicy;
    private final OutcomePolicy outcomePolicy;
    private final CallOptions callOptions;

    private IdempotentRoute(Builder b) {
        this.methods = b.methods;
        this.keyRequired = b.keyRequired;
        this.ttl = b.ttl;
        this.leaseDuration = b.leaseDuration;
        this.inProgressPolicy = b.inProgressPolicy;
        this.outcomePolicy = b.outcomePolicy;
        CallOptions.Builder options = CallOptions.custom();
        if (ttl != null) {
            options.ttl(ttl);
        }
        if (leaseDuration != null) {
            options.leaseDuration(leaseDuration);
        }
        if (inProgressPolicy != null) {
            options.inProgressPolicy(inProgressPolicy);
        }
        if (outcomePolicy != null) {
            options.outcomePolicy(outcomePolicy);
        }
        this.callOptions = options.build();
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
        b.ttl = ttl;
        b.leaseDuration = leaseDuration;
        b.inProgressPolicy = inProgressPolicy;
        b.outcomePolicy = outcomePolicy;
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
        private Duration ttl;
        private Duration leaseDuration;
        private InProgressPolicy inProgressPolicy;
        private OutcomePolicy outcomePolicy;

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
            Set<String> set = new TreeSet<>();
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
            this.methods = Set.copyOf(set);
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
         * Sets how long a completed response is replayed on this route.
         *
         * @param ttl positive duration; default: the engine's
         * @return this builder
         */
        public Builder ttl(Duration ttl) {
            CallOptions.custom().ttl(ttl); // validates
            this.ttl = ttl;
            return this;
        }

        /**
         * Sets the lease duration for handlers known to run long.
         *
         * @param leaseDuration positive duration; default: the engine's
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            CallOptions.custom().leaseDuration(leaseDuration); // validates
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * Sets what a duplicate does while the first request runs: 409 at once, or wait.
         *
         * @param policy the policy; default: the engine's
         * @return this builder
         */
        public Builder inProgressPolicy(InProgressPolicy policy) {
            this.inProgressPolicy = Objects.requireNonNull(policy, "inProgressPolicy");
            return this;
        }

        /**
         * Sets which statuses are stored for replay on this route.
         *
         * @param policy the policy; default: the engine's
         * @return this builder
         */
        public Builder outcomePolicy(OutcomePolicy policy) {
            this.outcomePolicy = Objects.requireNonNull(policy, "outcomePolicy");
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
