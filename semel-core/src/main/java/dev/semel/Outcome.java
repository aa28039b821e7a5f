package dev.semel;

import dev.semel.spi.StoredResponse;
import java.util.Objects;

/**
 * What {@link Idempotency#execute} did: ran the operation now ({@link Executed}), or
 * answered a duplicate ({@link Decision.Replay}, {@link Decision.InProgress},
 * {@link Decision.Mismatch}).
 */
public sealed interface Outcome permits Outcome.Executed, Duplicate {

    /**
     * The operation ran now.
     *
     * @param response what it produced
     * @param stored whether the response was stored for replay (per the outcome policy)
     */
    record Executed(StoredResponse response, boolean stored) implements Outcome {
        /**
         * Checks the response.
         *
         * @param response the response
         * @param stored whether it was stored
         */
        public Executed {
            Objects.requireNonNull(response, "response");
        }
    }
}
