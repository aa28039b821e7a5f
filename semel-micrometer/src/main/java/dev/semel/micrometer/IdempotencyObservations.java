package dev.semel.micrometer;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * An Observation around each protected request or {@code @Idempotent} call, named
 * {@value DefaultIdempotencyObservationConvention#NAME}: a span that encloses the engine's
 * store calls (their own {@code semel.store} Observations, see
 * {@link MicrometerIdempotencyListener}) and the handler, tagged with how the engine
 * answered. Needs no Spring.
 *
 * <p>It is two things at once: the adapters (the servlet filter, the method interceptor)
 * {@linkplain #start(Kind) start} an Observation around the call they protect and close it
 * when the call ends; and, as the engine's {@link IdempotencyListener}, it learns the
 * engine's decision from the events it reports on the same thread, which become the
 * Observation's {@code semel.outcome}.
 *
 * <pre>{@code
 * IdempotencyObservations observations = IdempotencyObservations.create(observationRegistry);
 * Idempotency engine = Idempotency.create(store,
 *         IdempotencyConfig.custom().listener(observations).build());
 * try (IdempotencyObservations.Call call = observations.start(IdempotencyObservations.Kind.METHOD)) {
 *     try {
 *         return engine.once(scope, key, payload, codec, () -> charge(order));
 *     } catch (RuntimeException e) {
 *         call.error(e);
 *         throw e;
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safe. A call is confined to the thread that started it: the engine reports its
 * decision on that thread, and the Observation is current there (in scope) until the call is
 * closed, so whatever the handler and the store observe nests under it.
 */
public final class IdempotencyObservations implements IdempotencyListener {
    /** What a call is. */
    public enum Kind {
        /** An HTTP request protected by the idempotency filter. */
        HTTP,
        /** A call of an {@code @Idempotent} method. */
        METHOD
    }

    private static final Call NOOP = new Call(null, null, null, null, null);

    private final ObservationRegistry registry;
    private final IdempotencyObservationConvention customConvention;
    private final ThreadLocal<Call> current = new ThreadLocal<>();

    private IdempotencyObservations(ObservationRegistry registry, IdempotencyObservationConvention convention) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.customConvention = convention;
    }

    /**
     * Observations with the default names and tags.
     *
     * @param registry the observation registry, e.g. one with Micrometer Tracing handlers
     * @return the observations, to start calls with and to register as a listener
     */
    public static IdempotencyObservations create(ObservationRegistry registry) {
        return new IdempotencyObservations(registry, null);
    }

    /**
     * Observations with custom names and tags.
     *
     * @param registry the observation registry
     * @param convention the convention, or {@code null} for
     *     {@link DefaultIdempotencyObservationConvention}
     * @return the observations
     */
    public static IdempotencyObservations create(ObservationRegistry registry,
            IdempotencyObservationConvention convention) {
        return new IdempotencyObservations(registry, convention);
    }

    /**
     * Starts the Observation of one call and makes it current on this thread; close the
     * returned call, on this thread, when the call ends.
     *
     * @param kind what the call is
     * @return the started call
     */
    public Call start(Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (registry.isNoop()) {
            return NOOP;
        }
        IdempotencyObservationContext context = new IdempotencyObservationContext(kind);
        Observation observation = Observation.createNotStarted(customConvention,
                DefaultIdempotencyObservationConvention.INSTANCE, () -> context, registry);
        observation.start();
        Call call = new Call(this, observation, observation.openScope(), context, current.get());
        current.set(call);
        return call;
    }

    @Override
    public void onEvent(IdempotencyEvent event) {
        Call call = current.get();
        if (call != null) {
            call.context.onEvent(event);
        }
    }

    /** One observed call: record its failure, if any, and close it where it ends. */
    public static final class Call implements AutoCloseable {
        private final IdempotencyObservations owner;
        private final Observation observation;
        private final Observation.Scope scope;
        private final IdempotencyObservationContext context;
        private final Call enclosing;
        private boolean closed;

        private Call(IdempotencyObservations owner, Observation observation, Observation.Scope scope,
                IdempotencyObservationContext context, Call enclosing) {
            this.owner = owner;
            this.observation = observation;
            this.scope = scope;
            this.context = context;
            this.enclosing = enclosing;
        }

        /**
         * Records that the call ended with an exception.
         *
         * @param error what it threw
         */
        public void error(Throwable error) {
            if (observation != null) {
                observation.error(error);
            }
        }

        /** Stops the Observation and makes the enclosing one current again; closing twice does nothing. */
        @Override
        public void close() {
            if (leaveThread()) {
                observation.stop();
            }
        }

        /**
         * For a call that goes on after its thread returns (an asynchronous request): makes the
         * enclosing Observation current again on this thread now, and stops this one when
         * {@code end} completes, with its failure if it fails. Calling it after {@link #close()}
         * does nothing.
         *
         * @param end completes when the call really ends
         */
        public void closeWhen(CompletionStage<?> end) {
            if (leaveThread()) {
                end.whenComplete((result, failure) -> {
                    if (failure != null) {
                        observation.error(failure);
                    }
                    observation.stop();
                });
            }
        }

        /** Closes the scope on the starting thread; {@code false} if there is nothing to close. */
        private boolean leaveThread() {
            if (observation == null || closed) {
                return false;
            }
            closed = true;
            scope.close();
            if (enclosing == null) {
                owner.current.remove();
            } else {
                owner.current.set(enclosing);
            }
            return true;
        }
    }
}
