package dev.semel.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The caller of a keyed request that has no principal, the same in every Semel HTTP adapter: a
 * keyed hash of its credential headers, so two clients with different credentials never share a
 * stored response, and a record written through one adapter belongs to the same caller on
 * another.
 *
 * <p>The hash is HMAC-SHA256 under the configured secret, or SHA-256 when none is configured:
 * stable across instances and restarts either way (a retry may reach another instance), but
 * only a secret stops someone who can read the store from testing guesses of low-entropy
 * credentials offline. Each header's lower-case name, its number of lines and each line go
 * in length-prefixed; a blank header is no credential.
 */
public final class CallerCredentials {
    /** The prefix of callers derived from credentials, so they read as such in logs and admin queries. */
    public static final String PREFIX = "credentials:";
    /** The credential headers hashed by default. */
    public static final List<String> DEFAULT_HEADERS = List.of("Authorization");
    /** The shortest caller secret accepted. */
    public static final int MIN_SECRET_BYTES = 16;

    private static final byte[] UNKEYED_DOMAIN = "semel caller credentials v1".getBytes(StandardCharsets.US_ASCII);

    private static final MessageDigest UNKEYED_PROTOTYPE = unkeyedDigest();

    private final List<String> headers;
    private final Mac prototype; // null: unkeyed SHA-256

    /**
     * Hashes these headers, under a secret or none.
     *
     * @param headers the credential headers
     * @param secret the HMAC key, or {@code null} for plain SHA-256
     */
    public CallerCredentials(List<String> headers, byte[] secret) {
        this.headers = List.copyOf(headers);
        if (secret == null) {
            this.prototype = null;
        } else {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                this.prototype = mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }
    }

    /** @return the credential headers */
    public List<String> headers() {
        return headers;
    }

    /**
     * The caller a request's credentials name.
     *
     * @param headerValues a header's values, one per header line, empty (or {@code null}) for none
     * @return {@code credentials:<hash>}, or {@code null} when the request carries no credential
     */
    public String callerOf(Function<String, List<String>> headerValues) {
        Hash hash = null;
        for (String name : headers) {
            List<String> list = headerValues.apply(name);
            if (list == null || list.isEmpty() || list.stream().allMatch(String::isBlank)) {
                continue; // an empty Authorization header is no credential
            }
            if (hash == null) {
                hash = newHash();
            }
            hash.field(name.toLowerCase(Locale.ROOT));
            hash.number(list.size());
            for (String value : list) {
                hash.field(value);
            }
        }
        return hash == null ? null : PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(hash.finish());
    }

    private Hash newHash() {
        if (prototype != null) {
            try {
                return new Hash((Mac) prototype.clone());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return new Hash((MessageDigest) UNKEYED_PROTOTYPE.clone()); // a copy: no provider lookup per request
        } catch (CloneNotSupportedException e) {
            return new Hash(unkeyedDigest());
        }
    }

    private static MessageDigest unkeyedDigest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(UNKEYED_DOMAIN);
            return sha;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Length-prefixed fields into a MAC or a digest. */
    private static final class Hash {
        private final Mac mac;
        private final MessageDigest digest;

        Hash(Mac mac) {
            this.mac = mac;
            this.digest = null;
        }

        Hash(MessageDigest digest) {
            this.mac = null;
            this.digest = digest;
        }

        void number(int n) {
            byte[] b = {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
            update(b);
        }

        void field(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            number(bytes.length);
            update(bytes);
        }

        private void update(byte[] bytes) {
            if (mac != null) {
                mac.update(bytes);
            } else {
                digest.update(bytes);
            }
        }

        byte[] finish() {
            return mac != null ? mac.doFinal() : digest.digest();
        }
    }
}
