package dev.semel;

import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.jspecify.annotations.Nullable;

/**
 * The idempotency engine: makes an operation run once per key and gives every retry the
 * same answer, across threads, instances and crashes (as far as its store reaches).
 *
 * <p>Three ways in, from the lowest level up:
 * <ul>
 *   <li>{@link #begin}: one atomic claim, answered with a {@link Decision}. HTTP adapters
 *       use it when the response completes later (async servlets).
 *   <li>{@link #execute}: claim, run, store or release, in one call; with a
 *       {@link TransactionalIdempotencyStore} the record commits with the operation's writes.
 *   <li>{@link #once}: the plain-Java convenience: run this for this key, return its
 *       (stored) result.
 * </ul>
 *
 * <pre>{@code
 * Idempotency idempotency = Idempotency.create(new InMemoryIdempotencyStore());
 * String receipt = idempotency.once(Scope.of("alice", "charge"), IdempotencyKey.of("order-7"),
 *         payload, ResultCodec.utf8(), () -> payments.charge(order));
 * }</pre>
 *
 * <p>Thread-safe; build one per application and {@link #close()} it on shutdown.
 */
public final class Idempotency implements AutoCloseable {
    static final System.Logger LOG = System.getLogger(Idempotency.class.getName());

    private final IdempotencyStore store;
    private final IdempotencyConfig config;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final LeaseRenewals renewals;
    private final StoreCalls calls;
    private final Claims claims;
    /** Non-null when the store is transactional: then {@link #execute} runs in one store transaction. */
    private final @Nullable TransactionalExecution transactional;
    private final IdempotencyAdmin admin;

    private Idempotency(IdempotencyStore store, IdempotencyConfig config) {
        this.store = Objects.requireNonNull(store, "store");
        this.config = Objects.requireNonNull(config, "config");
        if (config.scheduler() != null) {
            this.scheduler = config.scheduler();
            this.ownsScheduler = false;
        } else {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "semel-lease-renewal");
                t.setDaemon(true);
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
            this.scheduler = executor;
            this.ownsScheduler = true;
        }
        this.calls = new StoreCalls(store, config);
        this.renewals = new LeaseRenewals(scheduler, config.ticker());
        this.claims = new Claims(calls, renewals);
        this.transactional = store instanceof TransactionalIdempotencyStore t
                ? new TransactionalExecution(t, claims, calls)
                : null;
        this.admin = new IdempotencyAdmin(store, config.clock());
    }

    /**
     * An engine with the default configuration.
     *
     * @param store where records live
     * @return the engine
     */
    public static Idempotency create(IdempotencyStore store) {
        return new Idempotency(store, IdempotencyConfig.ofDefaults());
    }

    /**
     * An engine with a configuration.
     *
     * @param store where records live
     * @param config the settings
     * @return the engine
     */
    public static Idempotency create(IdempotencyStore store, IdempotencyConfig config) {
        return new Idempotency(store, config);
    }

    /** @return the configuration */
    public IdempotencyConfig config() {
        return config;
    }

    /**
     * The operator's view of the records: list, look up and delete them, and check that the
     * store answers (what the Actuator endpoint and health indicator show).
     *
     * @return the admin view over this engine's store
     */
    public IdempotencyAdmin admin() {
        return admin;
    }

    /**
     * Whether {@link #execute} runs claim, operation and completion in one store transaction
     * (the store is a {@link TransactionalIdempotencyStore}). An adapter then holds the
     * response until the transaction commits, and cannot finish a lease later (async).
     *
     * @return {@code true} in transactional mode
     */
    public boolean completesInStoreTransaction() {
        return transactional != null;
    }

    /**
     * Tells the listener that an adapter refused a request before claiming its key (a
     * malformed key, a body over the limit); it emits a {@link IdempotencyEvent.Type#REJECTED}
     * event. Listener failures are logged, never thrown.
     *
     * @param key the request's key, or {@code null} when it had none or it was malformed
     */
    public void rejected(@Nullable IdempotencyKey key) {
        if (calls.listening()) {
            calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.REJECTED, null, key, Duration.ZERO));
        }
    }

    /**
     * Claims a key with the configured defaults.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param fingerprint the payload's fingerprint
     * @return the decision
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     */
    public Decision begin(Scope scope, IdempotencyKey key, Fingerprint fingerprint) {
        return begin(scope, key, fingerprint, CallOptions.DEFAULTS);
    }

    /**
     * Claims a key: one atomic store call (more only while waiting under the wait policy).
     * On {@link Decision.Execute} the lease is renewed in the background until it ends.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param fingerprint the payload's fingerprint
     * @param options per-call overrides
     * @return the decision
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     */
    public Decision begin(Scope scope, IdempotencyKey key, Fingerprint fingerprint, CallOptions options) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(options, "options");
        return claims.begin(scope, key, fingerprint, options);
    }

    /**
     * {@link #begin} without blocking the calling thread, for non-blocking adapters (WebFlux,
     * a gateway) whose threads are event loops: the same claim, decisions, wait policy and
     * failure policy. A store with an asynchronous client (Redis) answers on its own I/O
     * threads; one with only blocking calls (JDBC) runs them on the engine's bounded store
     * executor ({@link IdempotencyConfig.Builder#storeExecutor}). A wait for a key in progress
     * holds no thread. End the lease with {@link Lease#finishAsync} or {@link Lease#releaseAsync}.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param fingerprint the payload's fingerprint
     * @param options per-call overrides
     * @return a stage of the decision; failing closed, it fails with
     *     {@link IdempotencyStoreException} (possibly wrapped in a
     *     {@link java.util.concurrent.CompletionException})
     */
    public CompletionStage<Decision> beginAsync(Scope scope, IdempotencyKey key, Fingerprint fingerprint,
            CallOptions options) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(options, "options");
        return claims.beginAsync(scope, key, fingerprint, options);
    }

    /**
     * Runs an operation once for a key: claim, run, then store the response (or release
     * the key when the outcome policy says it is not final, or the operation throws, in
     * which case the exception propagates unchanged).
     *
     * <p>With a {@link TransactionalIdempotencyStore}, claim, operation and completion run
     * in one store transaction: a crash or exception rolls everything back, an outcome that
     * is not stored rolls the transaction back too (so a retry runs against unchanged data),
     * and a lease lost before commit rolls back and answers {@link Decision.InProgress}.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param fingerprint the payload's fingerprint
     * @param options per-call overrides
     * @param operation the operation; it gets the lease (to read the token or renew)
     * @param <E> the checked exception the operation may throw
     * @return what happened: {@link Outcome.Executed}, or the {@link Duplicate} answer
     * @throws E whatever the operation threw
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     * @throws LeaseLostException if the lease was taken over before completion (non-transactional)
     */
    public <E extends Exception> Outcome execute(Scope scope, IdempotencyKey key, Fingerprint fingerprint,
            CallOptions options, Operation<E> operation) throws E {
        Objects.requireNonNull(operation, "operation");
        if (transactional != null) {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(options, "options");
            return transactional.execute(scope, key, fingerprint, options, operation);
        }
        Decision decision = begin(scope, key, fingerprint, options);
        if (decision instanceof Duplicate duplicate) {
            return duplicate;
        }
        Lease lease = ((Decision.Execute) decision).lease();
        StoredResponse response;
        try {
            response = operation.run(lease);
        } catch (Exception | Error e) {
            lease.releaseAfterFailure(e);
            throw e;
        }
        boolean stored = lease.finish(Objects.requireNonNull(response, "operation returned null"));
        return new Outcome.Executed(response, stored);
    }

    /**
     * Runs an operation once for a key and returns its result; a duplicate gets the stored
     * result, decoded, without running anything.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param payload what identifies the call's input (its fingerprint is compared)
     * @param codec how the result is stored
     * @param operation the operation
     * @param <T> the result type
     * @param <E> the checked exception the operation may throw
     * @return the result, fresh or stored
     * @throws E whatever the operation threw (the key is released)
     * @throws IdempotencyInProgressException if another caller is running it (after waiting, per policy)
     * @throws IdempotencyMismatchException if the key was used with another payload
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     */
    public <T extends @Nullable Object, E extends Exception> T once(Scope scope, IdempotencyKey key, byte[] payload,
            ResultCodec<T> codec, Task<T, E> operation) throws E {
        return once(scope, key, payload, codec, CallOptions.DEFAULTS, operation);
    }

    /**
     * {@link #once(Scope, IdempotencyKey, byte[], ResultCodec, Task)} with per-call overrides.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param payload what identifies the call's input
     * @param codec how the result is stored
     * @param options per-call overrides
     * @param operation the operation
     * @param <T> the result type
     * @param <E> the checked exception the operation may throw
     * @return the result, fresh or stored
     * @throws E whatever the operation threw: the key is released, unless the options'
     *         {@link ExceptionCodec} stores it, in which case every replay rethrows it
     * @throws IdempotencyResultNotRetainedException on a duplicate of a call that ran but whose
     *         result (or named exception) could not be stored: the codec could not encode it or
     *         read it back, or the store refused its size. The first call still gets its result
     *         (or its exception); the key is never released once the operation ran.
     */
    public <T extends @Nullable Object, E extends Exception> T once(Scope scope, IdempotencyKey key, byte[] payload,
            ResultCodec<T> codec, CallOptions options, Task<T, E> operation) throws E {
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(operation, "operation");
        return Once.call(this, scope, key, payload, codec, options, operation);
    }

    /**
     * {@link #once(Scope, IdempotencyKey, byte[], ResultCodec, CallOptions, Task) once} for
     * an operation that answers later: the key is held until its stage completes, then its
     * result (or an exception the options' {@link ExceptionCodec} names) is stored, and any
     * other failure releases the key. A duplicate gets a future of the stored result, or one
     * failed with what {@code once} would throw. Not for a transactional store, whose
     * transaction must end on the calling thread.
     *
     * @param scope who asks and for what
     * @param key the idempotency key
     * @param payload what identifies the call's input
     * @param codec how the result is stored
     * @param options per-call overrides
     * @param operation starts the operation and returns its stage; {@code null} releases the key
     *        and is returned as is
     * @param <T> the result type
     * @param <E> the checked exception the operation may throw before returning its stage
     * @return the result's future, or {@code null} if the operation returned {@code null}
     * @throws E whatever the operation threw before returning a stage (handled as a failure)
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     */
    public <T extends @Nullable Object, E extends Exception> @Nullable CompletableFuture<T> onceAsync(Scope scope,
            IdempotencyKey key, byte[] payload, ResultCodec<T> codec, CallOptions options,
            AsyncTask<T, E> operation) throws E {
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(operation, "operation");
        return Once.callAsync(this, scope, key, payload, codec, options, operation);
    }

    /**
     * Stops lease renewal (and the scheduler and the store executor, if the engine started its
     * own). Leases still active stop renewing.
     */
    @Override
    public void close() {
        renewals.shutdown();
        calls.shutdown();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    /** How many leases the engine is renewing (for tests). */
    int renewingLeases() {
        return renewals.size();
    }

    // ---------------------------------------------------------------- callbacks

    /**
     * An operation run under a lease, producing the response to store.
     *
     * @param <E> the checked exception it may throw
     */
    @FunctionalInterface
    public interface Operation<E extends Exception> {
        /**
         * Runs the operation.
         *
         * @param lease the lease it runs under
         * @return what it produced
         * @throws E on failure (the key is released)
         */
        StoredResponse run(Lease lease) throws E;
    }

    /**
     * A value-returning operation for {@link #once}.
     *
     * @param <T> the result type
     * @param <E> the checked exception it may throw
     */
    @FunctionalInterface
    public interface Task<T extends @Nullable Object, E extends Exception> {
        /**
         * Runs the operation.
         *
         * @return the result
         * @throws E on failure (the key is released)
         */
        T call() throws E;
    }

    /**
     * An operation for {@link #onceAsync} that starts its work and returns a stage of its result.
     *
     * @param <T> the result type
     * @param <E> the checked exception it may throw before returning its stage
     */
    @FunctionalInterface
    public interface AsyncTask<T extends @Nullable Object, E extends Exception> {
        /**
         * Starts the operation.
         *
         * @return the stage of its result, or {@code null} (which releases the key)
         * @throws E on failure (the key is released)
         */
        @Nullable CompletionStage<T> call() throws E;
    }
}
