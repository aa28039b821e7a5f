package dev.semel.webflux;

import dev.semel.http.CallerCredentials;
import java.util.List;
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
    static final String CREDENTIALS_PREFIX = CallerCredentials.PREFIX;
    /** The credential headers hashed by default. */
    static final List<String> DEFAULT_CREDENTIAL_HEADERS = CallerCredentials.DEFAULT_HEADERS;
    /** The shortest caller secret accepted. */
    static final int MIN_SECRET_BYTES = CallerCredentials.MIN_SECRET_BYTES;

    private final CallerCredentials credentials;
    private final boolean allowAnonymous;

    CallerScoping(List<String> credentialHeaders, byte[] secret, boolean allowAnonymous) {
        this.credentials = new CallerCredentials(credentialHeaders, secret);
        this.allowAnonymous = allowAnonymous;
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
        // one value per header line, as the Servlet API gives them
        String fromCredentials = credentials.callerOf(headers::get);
        if (fromCredentials != null) {
            return new Caller(fromCredentials, false);
        }
        return allowAnonymous ? Caller.ANONYMOUS : Caller.REFUSED;
    }

    boolean allowsAnonymous() {
        return allowAnonymous;
    }

    List<String> credentialHeaders() {
        return credentials.headers();
    }
}
