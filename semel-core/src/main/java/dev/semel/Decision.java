package dev.semel;

import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link Idempotency#begin} decided for a request; exactly one of four values.
 *
 * <ul>
 *   <li>{@link Execute}: the caller holds the key; run the operation, then
 *       {@link Lease#finish finish} (or complete/release) the lease.
 *   <li>{@link Replay}: completed before with the same payload; answer the stored response.
 *   <li>{@link InProgress}: another caller holds a live lease; retry after the hint.
 *   <li>{@link Mismatch}: the key was used with a different payload; a client error.
 * </ul>
 *
 * <pre>{@code
 * Decision decision = idempotency.begin(scope, key, fingerprint);
 * if (decision instanceof Decision.Execute execute) {
 *     try (Lease lease = execute.lease()) {
 *         lease.finish(runOperation());
 *     }
 * } else if (decision instanceof Decision.Replay replay) {
 *     send(replay.response());
 * } // ... or switch on decision.kind()
 * }</pre>
 */
public sealed interface Decision permits Decision.Execute, Duplicate {

    /** The four kinds, for a {@code switch} on Java 17. */
    enum Kind {
        /** See {@link Execute}. */
        EXECUTE,
        /** See {@link Replay}. */
        REPLAY,
        /** See {@link InProgress}. */
        IN_PROGRESS,
        /** See {@link Mismatch}. */
        MISMATCH
    }

    /**
     * Returns which of the four decisions this is.
     *
     * @return the kind
     */
    Kind kind();

    /**
     * Run the operation under this lease.
     *
     * @param lease the lease to finish
     */
    record Execute(Lease lease) implements Decision {
        /**
         * Checks the lease.
         *
         * @param lease the lease
         */
        public Execute {
            Objects.requireNonNull(lease, "lease");
        }

        @Override
        public Kind kind() {
            return Kind.EXECUTE;
        }
    }

    /**
     * Answer with the stored response; the operation is not run.
     *
     * @param response the stored response
     */
    record Replay(StoredResponse response) implements Duplicate {
        /**
         * Checks the response.
         *
         * @param response the response
         */
        public Replay {
            Objects.requireNonNull(response, "response");
        }

        @Override
        public Kind kind() {
            return Kind.REPLAY;
        }
    }

    /**
     * Another caller is running the operation under a live lease.
     *
     * @param retryAfter how long until a retry makes sense (until the lease ends), at least 1 s
     */
    record InProgress(Duration retryAfter) implements Duplicate {
        /**
         * Checks the hint.
         *
         * @param retryAfter the hint
         */
        public InProgress {
            Objects.requireNonNull(retryAfter, "retryAfter");
        }

        @Override
        public Kind kind() {
            return Kind.IN_PROGRESS;
        }
    }

    /**
     * The key was already used with a different payload.
     *
     * @param key the reused key
     */
    record Mismatch(IdempotencyKey key) implements Duplicate {
        @Override
        public Kind kind() {
            return Kind.MISMATCH;
        }
    }
}
