package dev.semel;

import org.jspecify.annotations.Nullable;

/**
 * Turns a request body into the bytes its fingerprint is computed over, so that two
 * bodies that mean the same thing (JSON with another key order, say) count as the same
 * payload.
 *
 * <p>The default, {@link #RAW}, compares bytes exactly. The servlet module adds a JSON
 * normalizer.
 */
@FunctionalInterface
public interface BodyNormalizer {
    /** Compares bodies byte for byte. */
    BodyNormalizer RAW = (contentType, body) -> body;

    /**
     * Returns the canonical bytes of a body.
     *
     * @param contentType the body's media type, may be {@code null}
     * @param body the body as received
     * @return the bytes to fingerprint; equal for bodies that mean the same
     * @throws IllegalArgumentException if the body cannot be read as its type says
     */
    byte[] normalize(@Nullable String contentType, byte[] body);
}
