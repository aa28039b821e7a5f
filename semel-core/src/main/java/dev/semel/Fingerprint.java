package dev.semel;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * SHA-256 of what identifies a payload, compared on every path that returns an existing
 * record: a key reused with a different fingerprint is a mismatch, never a replay.
 *
 * <pre>{@code
 * Fingerprint fp = Fingerprint.builder()
 *     .add("method", "POST")
 *     .add("target", "/payments/A/refunds")
 *     .body("application/json", body, BodyNormalizer.RAW)
 *     .build();
 * }</pre>
 */
public final class Fingerprint {
    /** Length of a fingerprint in bytes. */
    public static final int LENGTH = 32;

    private final byte[] bytes;

    private Fingerprint(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Fingerprint of a single payload, for callers that identify it by bytes alone.
     *
     * @param payload the payload, not {@code null}
     * @return its fingerprint
     */
    public static Fingerprint of(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        // the same bytes as builder().add("payload", payload).build(), without a digest per call
        MessageDigest digest = Hashing.threadSha256();
        Hashing.field(digest, "payload");
        digest.update((byte) 1);
        Hashing.field(digest, payload);
        return new Fingerprint(digest.digest());
    }

    /**
     * Restores a fingerprint that a store kept.
     *
     * @param bytes exactly {@value #LENGTH} bytes
     * @return the fingerprint
     * @throws IllegalArgumentException if the length is wrong
     */
    public static Fingerprint fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("A fingerprint has exactly " + LENGTH + " bytes");
        }
        return new Fingerprint(bytes.clone());
    }

    /**
     * Starts a fingerprint over named parts.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a copy of the digest.
     *
     * @return {@value #LENGTH} bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Whether this fingerprint equals stored bytes, without copying.
     *
     * @param stored bytes a store returned
     * @return {@code true} if the payloads are the same
     */
    public boolean matches(byte[] stored) {
        return MessageDigest.isEqual(bytes, stored);
    }

    /**
     * Returns the digest in lower-case hexadecimal.
     *
     * @return 64 characters
     */
    public String hex() {
        return Hashing.hex(bytes);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Fingerprint other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Fingerprint[" + hex() + "]";
    }

    /** Accumulates named, length-prefixed parts; the order of calls matters. */
    public static final class Builder {
        private final MessageDigest digest = Hashing.sha256();

        private Builder() {
        }

        /**
         * Adds a named text part (a method, a path, a header value).
         *
         * @param name what the part is
         * @param value its value; {@code null} and empty differ
         * @return this builder
         */
        public Builder add(String name, @Nullable String value) {
            Hashing.field(digest, Objects.requireNonNull(name, "name"));
            digest.update((byte) (value == null ? 0 : 1));
            Hashing.field(digest, value == null ? "" : value);
            return this;
        }

        /**
         * Adds a named binary part.
         *
         * @param name what the part is
         * @param value its bytes
         * @return this builder
         */
        public Builder add(String name, byte[] value) {
            Hashing.field(digest, Objects.requireNonNull(name, "name"));
            digest.update((byte) 1);
            Hashing.field(digest, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Adds a body after normalizing it.
         *
         * @param contentType the body's media type, may be {@code null}
         * @param body the body as received
         * @param normalizer how to canonicalize it
         * @return this builder
         * @throws IllegalArgumentException if the normalizer cannot read the body
         */
        public Builder body(@Nullable String contentType, byte[] body, BodyNormalizer normalizer) {
            return add("body", normalizer.normalize(contentType, body));
        }

        /**
         * Finishes the fingerprint; the builder must not be used afterwards.
         *
         * @return the fingerprint
         */
        public Fingerprint build() {
            return new Fingerprint(digest.digest());
        }
    }
}
