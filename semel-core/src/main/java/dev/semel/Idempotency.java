package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

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
    /** Marks a stored response that holds an exception rethrown on replay, not a result. */
    static final String EXCEPTION_HEADER = "Semel-Exception";
    private static final long COMPLETE_FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long COMPLETE_MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A retried completion must start this long before the lease could have ended. */
    private static final long COMPLETE_LEASE_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IdempotencyStore store;
    private final IdempotencyConfig config;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final LeaseRenewals renewals;
    /** False with {@link IdempotencyListener#NONE}: then no event is built and no store call timed. */
    private final boolean listening;

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
        this.renewals = new LeaseRenewals(scheduler);
        this.listening = config.listener() != IdempotencyListener.NONE;
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

    /** @return the store */
    public IdempotencyStore store() {
        return store;
    }

    /** @return the configuration */
    public IdempotencyConfig config() {
        return config;
    }

    /**
     * Whether {@link #execute} runs claim, operation and completion in one store transaction
     * (the store is a {@link TransactionalIdempotencyStore}). An adapter then holds the
     * response until the transaction commits, and cannot finish a lease later (async).
     *
     * @return {@code true} in transactional mode
     */
    public boolean completesInStoreTransaction() {
        return store instanceof TransactionalIdempotencyStore;
    }

    /**
     * Tells the listener that an adapter refused a request before claiming its key (a
     * malformed key, a body over the limit); it emits a {@link IdempotencyEvent.Type#REJECTED}
     * event. Listener failures are logged, never thrown.
     *
     * @param key the request's key, or {@code null} when it had none or it was malformed
     */
    public void rejected(IdempotencyKey key) {
        if (listening) {
            emit(IdempotencyEvent.of(IdempotencyEvent.Type.REJECTED, null, key, Duration.ZERO));
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
        String recordId = scope.recordId(key);
        return waitWhileInProgress(scope, key, recordId, options, () -> {
            Decision decision = claimOnce(scope, key, recordId, fingerprint, options, false);
            if (decision instanceof Decision.Execute execute) {
                scheduleRenewal(execute.lease(), options);
            }
            return decision;
        });
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
     * @return what happened
     * @throws E whatever the operation threw
     * @throws IdempotencyStoreException if the store failed and the engine fails closed
     * @throws LeaseLostException if the lease was taken over before completion (non-transactional)
     */
    public <E extends Exception> Outcome execute(Scope scope, IdempotencyKey key, Fingerprint fingerprint,
            CallOptions options, Operation<E> operation) throws E {
        Objects.requireNonNull(operation, "operation");
        if (store instanceof TransactionalIdempotencyStore transactional) {
            return executeInTransaction(transactional, scope, key, fingerprint, options, operation);
        }
        Decision decision = begin(scope, key, fingerprint, options);
        if (!(decision instanceof Decision.Execute execute)) {
            return (Outcome) decision;
        }
        Lease lease = execute.lease();
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

    private <E extends Exception> Outcome executeInTransaction(TransactionalIdempotencyStore transactional,
            Scope scope, IdempotencyKey key, Fingerprint fingerprint, CallOptions options, Operation<E> operation)
            throws E {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        String recordId = scope.recordId(key);
        OutcomePolicy outcomePolicy = options.outcomePolicy(config);
        boolean[] operationStarted = new boolean[1];
        Object decision;
        try {
            decision = waitWhileInProgressChecked(scope, key, recordId, options,
                    () -> transactional.<Object, E>inTransaction(() -> {
                        Decision d = claimOnce(scope, key, recordId, fingerprint, options, true);
                        if (!(d instanceof Decision.Execute execute)) {
                            return d;
                        }
                        Lease lease = execute.lease();
                        operationStarted[0] = true;
                        StoredResponse response = Objects.requireNonNull(operation.run(lease),
                                "operation returned null");
                        if (!outcomePolicy.shouldStore(response.status())) {
                            throw new NotStored(response);
                        }
                        try {
                            lease.complete(response);
                        } catch (LeaseLostException lost) {
                            throw new NotStored(null);
                        }
                        return new TransactionalExecuted(response);
                    }));
        } catch (StoreUnavailable e) {
            throw e;
        } catch (ClaimFailed e) {
            // the claim itself could not be made (rolled back): fail open or closed as configured
            decision = storeFailed(scope, key, recordId, options, e.failure);
        } catch (IdempotencyStoreException e) {
            if (operationStarted[0]) {
                // completing or committing failed after the operation ran: its writes rolled back,
                // but whatever it did outside the transaction did not. Never run it again here,
                // whatever the failure policy: the caller gets the store error and may retry.
                emit(new IdempotencyEvent(IdempotencyEvent.Type.STORE_ERROR, scope, key, Duration.ZERO, 0, 0, e));
                throw new StoreUnavailable("The idempotency store failed after the operation ran; its transaction"
                        + " was rolled back: " + e.getMessage(), e, config.storeFailureRetryAfter());
            }
            // beginning the transaction failed: no claim was made, nothing ran
            decision = storeFailed(scope, key, recordId, options, e);
        } catch (NotStored notStored) {
            if (notStored.response == null) {
                return new Decision.InProgress(config.storeFailureRetryAfter());
            }
            emit(IdempotencyEvent.of(IdempotencyEvent.Type.RELEASED, scope, key, Duration.ZERO));
            return new Outcome.Executed(notStored.response, false);
        }
        if (decision instanceof TransactionalExecuted executed) {
            return new Outcome.Executed(executed.response, true);
        }
        if (decision instanceof Decision.Execute execute) {
            // Fail-open while the store was down: run unprotected, outside any transaction.
            StoredResponse response = operation.run(execute.lease());
            execute.lease().finish(response);
            return new Outcome.Executed(response, false);
        }
        return (Outcome) decision;
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
    public <T, E extends Exception> T once(Scope scope, IdempotencyKey key, byte[] payload, ResultCodec<T> codec,
            Callable<T, E> operation) throws E {
        return once(scope, key, payload, codec, CallOptions.DEFAULTS, operation);
    }

    /**
     * {@link #once(Scope, IdempotencyKey, byte[], ResultCodec, Callable)} with per-call overrides.
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
    public <T, E extends Exception> T once(Scope scope, IdempotencyKey key, byte[] payload, ResultCodec<T> codec,
            CallOptions options, Callable<T, E> operation) throws E {
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(operation, "operation");
        ExceptionCodec exceptions = options.exceptionCodec();
        Object[] fresh = new Object[1];
        Exception[] storedFailure = new Exception[1];
        Outcome outcome = execute(scope, key, Fingerprint.of(payload), options, lease -> {
            T value;
            try {
                value = operation.call();
            } catch (Exception e) {
                if (!exceptions.stores(e)) {
                    throw e;
                }
                storedFailure[0] = e;
                try {
                    return exceptions.toStoredResponse(e);
                } catch (RuntimeException cannotStore) {
                    // the operation ended with an outcome meant to be final: never run it again
                    return notRetained(key, cannotStore);
                }
            }
            fresh[0] = value;
            try {
                return StoredResponse.ofResult(codec.encode(value));
            } catch (RuntimeException cannotStore) {
                // the effect happened: complete the record without the result rather than
                // release the key, so that a duplicate never runs the operation again
                return notRetained(key, cannotStore);
            }
        });
        if (outcome instanceof Outcome.Executed) {
            if (storedFailure[0] != null) {
                throw Idempotency.<RuntimeException>sneakyThrow(storedFailure[0]);
            }
            @SuppressWarnings("unchecked")
            T value = (T) fresh[0];
            return value;
        }
        if (outcome instanceof Decision.Replay replay) {
            if (!replay.response().bodyRetained()) {
                throw new IdempotencyResultNotRetainedException(key, replay.response()
                        .header(StoredResponse.NOT_RETAINED_HEADER)
                        .orElse("it was larger than the store accepts"));
            }
            Optional<Exception> stored = exceptions.storedException(replay.response());
            if (stored.isPresent()) {
                throw Idempotency.<RuntimeException>sneakyThrow(stored.get());
            }
            return codec.decode(replay.response().body());
        }
        if (outcome instanceof Decision.InProgress inProgress) {
            throw new IdempotencyInProgressException(key, inProgress.retryAfter());
        }
        throw new IdempotencyMismatchException(key);
    }

    private static StoredResponse notRetained(IdempotencyKey key, RuntimeException cannotStore) {
        LOG.log(System.Logger.Level.WARNING, "The outcome of idempotency key ''{0}'' cannot be stored; its record"
                + " is completed as not retained, and duplicates get IdempotencyResultNotRetainedException", key,
                cannotStore);
        return StoredResponse.ofResultNotRetained(cannotStore.getMessage());
    }

    /**
     * Rethrows a stored exception as it was declared by the operation (a checked one was
     * thrown by that same operation, so its callers handle it).
     */
    @SuppressWarnings("unchecked")
    private static <X extends Throwable> X sneakyThrow(Throwable t) throws X {
        throw (X) t;
    }

    /** Reports an event to the configured listener; listener failures are logged, never thrown. */
    void emit(IdempotencyEvent event) {
        try {
            config.listener().onEvent(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Idempotency listener failed on " + event.type(), e);
        }
    }

    /** Stops lease renewal (and the scheduler, if the engine started its own). Leases still active stop renewing. */
    @Override
    public void close() {
        renewals.shutdown();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- claiming

    private Decision claimOnce(Scope scope, IdempotencyKey key, String recordId, Fingerprint fingerprint,
            CallOptions options, boolean inTransaction) {
        Instant now = config.clock().instant();
        Duration lease = options.leaseDuration(config);
        Duration ttl = options.ttl(config);
        ClaimRequest request = new ClaimRequest(recordId, key.value(), scope.toString(), fingerprint.bytes(),
                config.ownerId(), freshToken(), now.plus(lease), now.plus(ttl), now);
        long start = startStoreCall(StoreOperation.CLAIM);
        ClaimResult result;
        try {
            result = store.claim(request);
            reportStoreCall(StoreOperation.CLAIM, start, null);
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.CLAIM, start, e);
            if (inTransaction) {
                if (e instanceof IdempotencyStoreException storeFailure) {
                    // roll the transaction back; the engine decides outside it (fail-open runs unprotected)
                    throw new ClaimFailed(storeFailure);
                }
                throw e;
            }
            return storeFailed(scope, key, recordId, options, e);
        }
        Duration claimTime = listening ? Duration.ofNanos(System.nanoTime() - start) : Duration.ZERO;
        if (result instanceof ClaimResult.Claimed claimed) {
            if (claimed.takeover()) {
                emit(IdempotencyEvent.of(IdempotencyEvent.Type.LEASE_TAKEN_OVER, scope, key, claimTime));
                LOG.log(System.Logger.Level.INFO,
                        "Took over the abandoned lease of idempotency key ''{0}'' (fencing token {1})", key,
                        claimed.fencingToken());
            }
            if (listening) {
                emit(IdempotencyEvent.of(IdempotencyEvent.Type.EXECUTED, scope, key, claimTime));
            }
            return new Decision.Execute(new Lease(this, scope, key, recordId, claimed.fencingToken(), ttl, lease,
                    options.outcomePolicy(config), true, inTransaction));
        }
        if (result instanceof ClaimResult.Found found) {
            IdempotencyRecord record = found.record();
            if (!fingerprint.matches(record.fingerprint())) {
                emit(IdempotencyEvent.of(IdempotencyEvent.Type.MISMATCH, scope, key, claimTime));
                return new Decision.Mismatch(key);
            }
            if (record.state() == RecordState.COMPLETED) {
                if (listening) {
                    emit(new IdempotencyEvent(IdempotencyEvent.Type.REPLAYED, scope, key, claimTime,
                            record.response().status(), record.response().bodyLength(), null));
                }
                return new Decision.Replay(record.response());
            }
            return new Decision.InProgress(retryAfter(record.leaseDeadline(), now, lease));
        }
        // Locked: a concurrent transaction holds the key; its lease is not visible.
        return new Decision.InProgress(Duration.ofSeconds(1));
    }

    private Decision storeFailed(Scope scope, IdempotencyKey key, String recordId, CallOptions options,
            RuntimeException e) {
        if (config.failurePolicy() == FailurePolicy.FAIL_OPEN) {
            emit(new IdempotencyEvent(IdempotencyEvent.Type.FAIL_OPEN, scope, key, Duration.ZERO, 0, 0, e));
            LOG.log(System.Logger.Level.WARNING,
                    "Idempotency store failed; running idempotency key ''{0}'' UNPROTECTED (fail-open)", key, e);
            return new Decision.Execute(new Lease(this, scope, key, recordId, 0, options.ttl(config),
                    options.leaseDuration(config), options.outcomePolicy(config), false, false));
        }
        emit(new IdempotencyEvent(IdempotencyEvent.Type.STORE_ERROR, scope, key, Duration.ZERO, 0, 0, e));
        throw new StoreUnavailable("The idempotency store is unavailable: " + e.getMessage(), e,
                config.storeFailureRetryAfter());
    }

    private static Duration retryAfter(Instant leaseDeadline, Instant now, Duration leaseDuration) {
        if (leaseDeadline == null) {
            return Duration.ofSeconds(1);
        }
        Duration left = Duration.between(now, leaseDeadline);
        if (left.compareTo(leaseDuration) > 0) {
            // a store on its own clock wrote the deadline; a skewed JVM clock must not stretch the wait
            left = leaseDuration;
        }
        long seconds = (left.toMillis() + 999) / 1000;
        return Duration.ofSeconds(Math.max(1, seconds));
    }

    private static long freshToken() {
        // Random rather than 1: a record purged and claimed again must never reissue a
        // token that a stalled former holder could still present.
        return ThreadLocalRandom.current().nextLong(1L, 1L << 62);
    }

    private Decision waitWhileInProgress(Scope scope, IdempotencyKey key, String recordId, CallOptions options,
            Supplier<Decision> attempt) {
        return waitWhileInProgressChecked(scope, key, recordId, options, attempt::get);
    }

    /** Repeats an attempt while it answers in-progress and the wait policy allows. */
    private <R, E extends Exception> R waitWhileInProgressChecked(Scope scope, IdempotencyKey key,
            String recordId, CallOptions options, Callable<R, E> attempt) throws E {
        InProgressPolicy policy = options.inProgressPolicy(config);
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + policy.maxWait().toNanos();
        boolean waited = false;
        while (true) {
            R decision = attempt.call();
            long remaining = deadlineNanos - System.nanoTime();
            if (!(decision instanceof Decision.InProgress) || !policy.waits() || remaining <= 0) {
                if (waited) {
                    emit(IdempotencyEvent.of(IdempotencyEvent.Type.WAITED, scope, key,
                            Duration.ofNanos(System.nanoTime() - startNanos)));
                }
                if (decision instanceof Decision.InProgress) {
                    emit(IdempotencyEvent.of(IdempotencyEvent.Type.CONFLICT, scope, key, Duration.ZERO));
                }
                return decision;
            }
            waited = true;
            Duration pause = Duration.ofNanos(Math.min(remaining, config.waitPollInterval().toNanos()));
            long waitStart = startStoreCall(StoreOperation.AWAIT);
            try {
                store.awaitChange(recordId, pause);
                reportStoreCall(StoreOperation.AWAIT, waitStart, null);
            } catch (InterruptedException e) {
                reportStoreCall(StoreOperation.AWAIT, waitStart, e);
                Thread.currentThread().interrupt();
                emit(IdempotencyEvent.of(IdempotencyEvent.Type.CONFLICT, scope, key, Duration.ZERO));
                return decision;
            } catch (RuntimeException e) {
                reportStoreCall(StoreOperation.AWAIT, waitStart, e);
                // the next claim reports the store failure the usual way
            }
        }
    }

    // ---------------------------------------------------------------- lease plumbing

    private void scheduleRenewal(Lease lease, CallOptions options) {
        if (!lease.isGuarded()) {
            return;
        }
        Duration leaseDuration = options.leaseDuration(config);
        Duration interval = leaseDuration.equals(config.leaseDuration())
                ? config.leaseRenewInterval()
                : leaseDuration.dividedBy(3);
        renewals.add(lease, interval, leaseDuration);
    }

    /** @return whether a listener other than {@link IdempotencyListener#NONE} wants events */
    boolean listening() {
        return listening;
    }

    void stopRenewal(Lease lease) {
        renewals.remove(lease);
    }

    /** How many leases the engine is renewing (for tests). */
    int renewingLeases() {
        return renewals.size();
    }

    /**
     * Completes the record. A store failure is retried with backoff while the lease is still
     * valid (a failover's timeout must not turn a finished operation into a 503 and, after the
     * lease, into a second run); a response the store refuses as too large is completed without
     * its body, never released.
     */
    boolean storeComplete(Lease lease, StoredResponse response, Duration ttl) {
        StoredResponse toStore = response;
        int failures = 0;
        long backoffNanos = COMPLETE_FIRST_BACKOFF_NANOS;
        while (true) {
            Instant now = config.clock().instant();
            long start = startStoreCall(StoreOperation.COMPLETE);
            try {
                boolean ok = store.complete(lease.recordId(), lease.fencingToken(), toStore, now.plus(ttl), now);
                reportStoreCall(StoreOperation.COMPLETE, start, null);
                if (!ok && failures > 0) {
                    // an earlier attempt may have completed the record and only its answer was lost
                    return completedByUs(lease);
                }
                return ok;
            } catch (StoreCapacityExceededException tooLarge) {
                reportStoreCall(StoreOperation.COMPLETE, start, tooLarge);
                if (!toStore.bodyRetained()) {
                    throw tooLarge;
                }
                LOG.log(System.Logger.Level.WARNING, "The store refused the outcome of idempotency key ''{0}'' ({1});"
                        + " completing its record without the body (not retained)", lease.key(), tooLarge.getMessage());
                toStore = StoredResponse.withoutBody(toStore.status(), toStore.headers());
            } catch (RuntimeException e) {
                reportStoreCall(StoreOperation.COMPLETE, start, e);
                failures++;
                if (lease.inTransaction() || failures >= config.completeAttempts()
                        || !lease.validFor(backoffNanos + COMPLETE_LEASE_MARGIN_NANOS)) {
                    throw asStoreException("complete", e);
                }
                LOG.log(System.Logger.Level.WARNING, "Could not complete idempotency key ''{0}'' (attempt {1}); trying"
                        + " again while its lease is valid: {2}", lease.key(), failures, e.getMessage());
                try {
                    TimeUnit.NANOSECONDS.sleep(backoffNanos);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw asStoreException("complete", e);
                }
                backoffNanos = Math.min(backoffNanos * 2, COMPLETE_MAX_BACKOFF_NANOS);
            }
        }
    }

    private boolean completedByUs(Lease lease) {
        Optional<IdempotencyRecord> record = store.find(lease.recordId(), config.clock().instant());
        return record.isPresent() && record.get().state() == RecordState.COMPLETED
                && record.get().fencingToken() == lease.fencingToken();
    }

    boolean storeRelease(Lease lease) {
        long start = startStoreCall(StoreOperation.RELEASE);
        try {
            boolean ok = store.release(lease.recordId(), lease.fencingToken());
            reportStoreCall(StoreOperation.RELEASE, start, null);
            return ok;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.RELEASE, start, e);
            throw asStoreException("release", e);
        }
    }

    boolean storeRenew(Lease lease, Duration leaseDuration) {
        Instant now = config.clock().instant();
        long start = startStoreCall(StoreOperation.RENEW);
        try {
            boolean ok = store.renew(lease.recordId(), lease.fencingToken(), now.plus(leaseDuration), now);
            reportStoreCall(StoreOperation.RENEW, start, null);
            return ok;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.RENEW, start, e);
            throw asStoreException("renew", e);
        }
    }

    private static IdempotencyStoreException asStoreException(String operation, RuntimeException e) {
        if (e instanceof IdempotencyStoreException storeException) {
            return storeException;
        }
        return new IdempotencyStoreException("The idempotency store failed to " + operation + ": " + e.getMessage(),
                e);
    }

    /** Tells the listener a store call starts; returns the start time for {@link #reportStoreCall}. */
    private long startStoreCall(StoreOperation operation) {
        if (!listening) {
            return 0L;
        }
        try {
            config.listener().onStoreCallStart(operation);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Idempotency listener failed on store call start " + operation, e);
        }
        return System.nanoTime();
    }

    private void reportStoreCall(StoreOperation operation, long startNanos, Throwable failure) {
        if (!listening) {
            return;
        }
        try {
            config.listener().onStoreCall(operation, Duration.ofNanos(System.nanoTime() - startNanos), failure);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Idempotency listener failed on store call " + operation, e);
        }
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
    public interface Callable<T, E extends Exception> {
        /**
         * Runs the operation.
         *
         * @return the result
         * @throws E on failure (the key is released)
         */
        T call() throws E;
    }

    /** Carries a response that must not be stored out of the transaction, rolling it back. */
    private static final class NotStored extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient StoredResponse response;

        NotStored(StoredResponse response) {
            super(null, null, false, false);
            this.response = response;
        }
    }

    /** A claim inside a store transaction failed: carried out of the transaction, rolling it back. */
    private static final class ClaimFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final IdempotencyStoreException failure;

        ClaimFailed(IdempotencyStoreException failure) {
            super(null, failure, false, false);
            this.failure = failure;
        }
    }

    /** The engine's fail-closed answer, told apart from the store failure that caused it. */
    private static final class StoreUnavailable extends IdempotencyStoreException {
        private static final long serialVersionUID = 1L;

        StoreUnavailable(String message, Throwable cause, Duration retryAfter) {
            super(message, cause, retryAfter);
        }
    }

    /** The transaction ran the operation and stored its response (never escapes the engine). */
    private record TransactionalExecuted(StoredResponse response) {
    }
}
