package dev.semel.webflux;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.http.HttpHeaders;

/**
 * Who a keyed request belongs to (DESIGN invariant 6), exactly as the Servlet filter decides
 * it, so a record written through one adapter belongs to the same caller on the other: the
 * principal's name when the exchange has one; else a keyed hash of the request's credential headers, so two anonymous
 * clients with different credentials never share a stored response; else, with no
 * credential at all, nobody (refused) unless the application allowed anonymous callers,
 * who then share one scope.
 *
 * <p>The hash is HMAC-SHA256 under the configured secret, or SHA-256 when none is
 * configured: stable across instances and restarts either way (a retry may reach another
 * instance), but only a secret stops someone who can read the store from testing guesses
 * of low-entropy credentials offline.
 */
final class CallerScoping {
    /** The prefix of callers derived from credentials, so they read as such in logs and admin queries. */
    static final String CREDENTIALS_PREFIX = "credentials:";
    /** The credential headers hashed by default. */
    static final List<String> DEFAULT_CREDENTIAL_HEADERS = List.of("Authorization");
    /** The shortest caller secret accepted. */
    static final int MIN_SECRET_BYTES = 16;

    private static final byte[] UNKEYED_DOMAIN = "semel caller credentials v1".getBytes(StandardCharsets.US_ASCII);

    private final List<String> credentialHeaders;
    private final Mac prototype; // null: unkeyed SHA-256
    private final boolean allowAnonymous;

    CallerScoping(List<String> credentialHeaders, byte[] secret, boolean allowAnonymous) {
        this.credentialHeaders = List.copyOf(credentialHeaders);
        this.allowAnonymous = allowAnonymous;
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

    /** The caller of a keyed request. */
    record Caller(String id, boolean refused) {
        static final Caller ANONYMOUS = new Caller(null, false);
        static final Caller REFUSED = new Caller(null, true);
    }

    /**
     * The caller of a keyed request.
     *
     * @param principal the name of the exchange's principal, or {@code null} without one
     * @param headers the request's headers
     */
    Caller caller(String principal, HttpHeaders headers) {
        if (principal != null) {
            return new Caller(principal, false);
        }
        byte[] digest = credentialDigest(headers);
        if (digest != null) {
            return new Caller(CREDENTIALS_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(digest),
                    false);
        }
        return allowAnonymous ? Caller.ANONYMOUS : Caller.REFUSED;
    }

    boolean allowsAnonymous() {
        return allowAnonymous;
    }

    List<String> credentialHeaders() {
        return credentialHeaders;
    }

    /** The hash of every credential header's name and values, or {@code null} when the request has none. */
    private byte[] credentialDigest(HttpHeaders headers) {
        Hash hash = null;
        for (String name : credentialHeaders) {
            List<String> list = headers.get(name); // one value per header line, as the Servlet API gives them
            if (list == null || list.isEmpty()) {
                continue;
            }
            if (list.stream().allMatch(String::isBlank)) {
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
        return hash == null ? null : hash.finish();
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
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(UNKEYED_DOMAIN);
            return new Hash(sha);
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
