package dev.semel.micrometer;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import dev.semel.StoreOperation;
import dev.semel.spi.IdempotencyStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link IdempotencyListener} that records Semel's metrics in a Micrometer
 * {@link MeterRegistry} and, when given an {@link ObservationRegistry}, an Observation
 * around every store call (a span per claim, complete, release… once Micrometer Tracing
 * is set up). Needs no Spring. Every meter and tag is listed in {@code docs/metrics.md};
 * tags are low-cardinality only: never the idempotency key, never the caller.
 *
 * <pre>{@code
 * MicrometerIdempotencyListener listener = MicrometerIdempotencyListener.builder(meterRegistry)
 *         .observationRegistry(observationRegistry)   // optional: traces
 *         .store(store)                               // tags meters with store=memory|jdbc|redis
 *         .build();
 * Idempotency idempotency = Idempotency.create(store,
 *         IdempotencyConfig.custom().listener(listener).build());
 * }</pre>
 *
 * <p>Thread-safe; meters are registered once, when the listener is built.
 */
public final class MicrometerIdempotencyListener implements IdempotencyListener {
    /** Counter: requests by how the engine answered them ({@code outcome} tag). */
    public static final String REQUESTS = "semel.requests";
    /** Timer: store calls by {@code operation} and {@code error}. */
    public static final String STORE_DURATION = "semel.store.duration";
    /** Counter: abandoned leases taken over. */
    public static final String LEASE_TAKEOVERS = "semel.lease.takeovers";
    /** Counter: leases their holder found taken over or gone. */
    public static final String LEASE_LOST = "semel.lease.lost";
    /** Timer: how long duplicates waited for the first attempt (wait policy). */
    public static final String WAIT_DURATION = "semel.wait.duration";
    /** Distribution summary (bytes): sizes of the response bodies stored for replay. */
    public static final String STORED_BODY_SIZE = "semel.stored.body.size";
    /** Timer: from claim to the end of the lease, by {@code result}. */
    public static final String EXECUTIONS = "semel.executions";

    private static final String NO_ERROR = "none";

    private final MeterRegistry meterRegistry;
    private final ObservationRegistry observationRegistry;
    private final IdempotencyStoreObservationConvention customConvention;
    private final String storeName;
    private final Tags tags;

    private final Map<IdempotencyEvent.Type, Counter> requests = new EnumMap<>(IdempotencyEvent.Type.class);
    private final Map<StoreOperation, Timer> storeSuccess = new EnumMap<>(StoreOperation.class);
    private final Counter takeovers;
    private final Counter leaseLost;
    private final Timer waits;
    private final DistributionSummary storedBodySize;
    private final Timer executionsCompleted;
    private final Timer executionsReleased;
    private final Timer executionsLost;
    private final ThreadLocal<ObservationState> observations;

    private MicrometerIdempotencyListener(Builder b) {
        this.meterRegistry = b.meterRegistry;
        this.observationRegistry = b.observationRegistry;
        this.customConvention = b.convention;
        this.storeName = b.storeName;
        this.tags = Tags.of(b.tags).and("store", storeName);

        for (IdempotencyEvent.Type type : new IdempotencyEvent.Type[] {IdempotencyEvent.Type.EXECUTED,
                IdempotencyEvent.Type.REPLAYED, IdempotencyEvent.Type.CONFLICT, IdempotencyEvent.Type.MISMATCH,
                IdempotencyEvent.Type.REJECTED, IdempotencyEvent.Type.STORE_ERROR, IdempotencyEvent.Type.FAIL_OPEN}) {
            requests.put(type, Counter.builder(REQUESTS)
                    .description("Idempotent requests by how the engine answered them")
                    .tags(tags).tag("outcome", outcome(type))
                    .register(meterRegistry));
        }
        for (StoreOperation operation : StoreOperation.values()) {
            storeSuccess.put(operation, storeTimer(operation, NO_ERROR));
        }
        this.takeovers = Counter.builder(LEASE_TAKEOVERS)
                .description("Abandoned leases taken over by a new request (the first holder stopped renewing)")
                .tags(tags).register(meterRegistry);
        this.leaseLost = Counter.builder(LEASE_LOST)
                .description("Leases whose holder found them taken over or deleted; its result was not stored")
                .tags(tags).register(meterRegistry);
        this.waits = Timer.builder(WAIT_DURATION)
                .description("Time duplicates spent waiting for the first attempt to finish (wait policy)")
                .tags(tags).register(meterRegistry);
        this.storedBodySize = DistributionSummary.builder(STORED_BODY_SIZE)
                .description("Size of the response bodies stored for replay")
                .baseUnit("bytes").tags(tags).register(meterRegistry);
        this.executionsCompleted = executionTimer("completed");
        this.executionsReleased = executionTimer("released");
        this.executionsLost = executionTimer("lease_lost");
        // Not isNoop(): a registry may get its handlers after this listener is built (Spring
        // Boot configures them late); whether to observe is decided per store call.
        this.observations = observationRegistry == ObservationRegistry.NOOP ? null
                : ThreadLocal.withInitial(ObservationState::new);
    }

    /**
     * Starts a listener that records into a meter registry.
     *
     * @param meterRegistry where meters go
     * @return a builder
     */
    public static Builder builder(MeterRegistry meterRegistry) {
        return new Builder(meterRegistry);
    }

    /**
     * The {@code store} tag value for a store: its class name without
     * {@code IdempotencyStore} (or {@code Store}), lower case ({@code JdbcIdempotencyStore}
     * → {@code jdbc});
     * {@code memory} for {@link dev.semel.InMemoryIdempotencyStore}; {@code custom} for an
     * anonymous class.
     *
     * @param store a store
     * @return its name for tags
     */
    public static String storeName(IdempotencyStore store) {
        String name = store.getClass().getSimpleName();
        if (name.isEmpty()) {
            return "custom";
        }
        for (String suffix : new String[] {"IdempotencyStore", "Store"}) {
            if (name.endsWith(suffix) && name.length() > suffix.length()) {
                name = name.substring(0, name.length() - suffix.length());
                break;
            }
        }
        name = name.toLowerCase(Locale.ROOT);
        return name.equals("inmemory") ? "memory" : name;
    }

    /** @return the {@code store} tag value on every meter and observation */
    public String storeName() {
        return storeName;
    }

    // ------------------------------------------------------------------ events

    @Override
    public void onEvent(IdempotencyEvent event) {
        IdempotencyEvent.Type type = event.type();
        Counter counter = requests.get(type);
        if (counter != null) {
            counter.increment();
        }
        switch (type) {
            case LEASE_TAKEN_OVER -> takeovers.increment();
            case LEASE_LOST -> {
                leaseLost.increment();
                executionsLost.record(event.duration());
            }
            case WAITED -> waits.record(event.duration());
            case COMPLETED -> {
                storedBodySize.record(event.bodyBytes());
                executionsCompleted.record(event.duration());
            }
            case RELEASED -> executionsReleased.record(event.duration());
            default -> {
                // request outcomes are counted above
            }
        }
        if (observations != null) {
            observations.get().onEvent(event);
        }
    }

    @Override
    public void onStoreCallStart(StoreOperation operation) {
        if (observations != null) {
            observations.get().start(operation);
        }
    }

    @Override
    public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
        Timer timer = failure == null ? storeSuccess.get(operation)
                : storeTimer(operation, failure.getClass().getSimpleName().isEmpty() ? failure.getClass().getName()
                        : failure.getClass().getSimpleName());
        timer.record(duration);
        if (observations != null) {
            observations.get().stop(operation, failure);
        }
    }

    private Timer storeTimer(StoreOperation operation, String error) {
        return Timer.builder(STORE_DURATION)
                .description("Duration of the idempotency store calls the engine makes")
                .tags(tags).tag("operation", operation.name().toLowerCase(Locale.ROOT)).tag("error", error)
                .register(meterRegistry);
    }

    private Timer executionTimer(String result) {
        return Timer.builder(EXECUTIONS)
                .description("Time from a successful claim to the end of its lease")
                .tags(tags).tag("result", result)
                .register(meterRegistry);
    }

    static String outcome(IdempotencyEvent.Type type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------ observations

    /**
     * One thread's open store-call Observation. The engine calls start and stop on the
     * thread making the store call, with no other store call between them. A claim's
     * Observation stays open (its scope closed) until the decision event that follows it
     * on the same thread, so the span says what the claim decided.
     */
    private final class ObservationState {
        private Observation current;
        private Observation.Scope scope;
        private Observation pendingClaim;
        private IdempotencyStoreObservationContext pendingContext;

        void start(StoreOperation operation) {
            finishPendingClaim("in_progress", null);
            if (observationRegistry.isNoop()) {
                return;
            }
            if (operation == StoreOperation.RENEW && observationRegistry.getCurrentObservation() == null) {
                // background renewals belong to no request: a root span every few seconds
                // per running operation would only be noise
                return;
            }
            IdempotencyStoreObservationContext context = new IdempotencyStoreObservationContext(operation, storeName);
            Observation observation = Observation.createNotStarted(customConvention,
                    DefaultIdempotencyStoreObservationConvention.INSTANCE, () -> context, observationRegistry);
            observation.start();
            current = observation;
            scope = observation.openScope();
        }

        void stop(StoreOperation operation, Throwable failure) {
            Observation observation = current;
            if (observation == null) {
                return;
            }
            current = null;
            scope.close();
            scope = null;
            if (failure != null) {
                observation.error(failure);
            }
            if (operation == StoreOperation.CLAIM && failure == null) {
                pendingClaim = observation;
                pendingContext = (IdempotencyStoreObservationContext) observation.getContext();
            } else {
                observation.stop();
            }
        }

        void onEvent(IdempotencyEvent event) {
            if (pendingClaim == null) {
                return;
            }
            switch (event.type()) {
                case LEASE_TAKEN_OVER -> pendingContext.leaseTakenOver(true);
                case EXECUTED, REPLAYED, CONFLICT, MISMATCH, STORE_ERROR, FAIL_OPEN ->
                        finishPendingClaim(outcome(event.type()), event);
                default -> {
                    // not a claim's decision
                }
            }
        }

        private void finishPendingClaim(String outcome, IdempotencyEvent event) {
            Observation observation = pendingClaim;
            if (observation == null) {
                return;
            }
            pendingContext.outcome(outcome);
            if (event != null && event.scope() != null) {
                pendingContext.scopeOperation(event.scope().operation());
            }
            pendingClaim = null;
            pendingContext = null;
            observation.stop();
        }
    }

    // ----------------------------------------------------------------- builder

    /** Configures a {@link MicrometerIdempotencyListener}. */
    public static final class Builder {
        private final MeterRegistry meterRegistry;
        private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;
        private IdempotencyStoreObservationConvention convention;
        private String storeName = "unknown";
        private Iterable<Tag> tags = Tags.empty();

        private Builder(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
        }

        /**
         * Records an Observation around every store call (default: none).
         *
         * @param registry the observation registry, e.g. one with Micrometer Tracing handlers
         * @return this builder
         */
        public Builder observationRegistry(ObservationRegistry registry) {
            this.observationRegistry = Objects.requireNonNull(registry, "observationRegistry");
            return this;
        }

        /**
         * Replaces the default names and tags of the store-call Observation.
         *
         * @param convention the convention, or {@code null} for
         *     {@link DefaultIdempotencyStoreObservationConvention}
         * @return this builder
         */
        public Builder observationConvention(IdempotencyStoreObservationConvention convention) {
            this.convention = convention;
            return this;
        }

        /**
         * Sets the {@code store} tag from a store, see {@link MicrometerIdempotencyListener#storeName}.
         *
         * @param store the engine's store
         * @return this builder
         */
        public Builder store(IdempotencyStore store) {
            return storeName(MicrometerIdempotencyListener.storeName(Objects.requireNonNull(store, "store")));
        }

        /**
         * Sets the {@code store} tag (default {@code unknown}).
         *
         * @param name e.g. {@code memory}, {@code jdbc}, {@code redis}
         * @return this builder
         */
        public Builder storeName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("store name must not be blank");
            }
            this.storeName = name;
            return this;
        }

        /**
         * Adds tags to every meter (for example the application's name). Keep them
         * low-cardinality.
         *
         * @param tags extra tags
         * @return this builder
         */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = Objects.requireNonNull(tags, "tags");
            return this;
        }

        /**
         * Registers the meters and builds the listener.
         *
         * @return the listener
         */
        public MicrometerIdempotencyListener build() {
            return new MicrometerIdempotencyListener(this);
        }
    }
}
