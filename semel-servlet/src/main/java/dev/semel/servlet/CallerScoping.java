package dev.semel.servlet;

import dev.semel.http.CallerCredentials;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Who a keyed request belongs to (DESIGN invariant 6): the {@link CallerResolver}'s answer
 * when it has one; else a keyed hash of the request's credential headers, so two anonymous
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

    private final CallerResolver resolver;
    private final CallerCredentials credentials;
    private final boolean allowAnonymous;

    CallerScoping(CallerResolver resolver, List<String> credentialHeaders, byte[] secret, boolean allowAnonymous) {
        this.resolver = resolver;
        this.credentials = new CallerCredentials(credentialHeaders, secret);
        this.allowAnonymous = allowAnonymous;
    }

    /** The caller of a keyed request. */
    record Caller(String id, boolean refused) {
        static final Caller ANONYMOUS = new Caller(null, false);
        static final Caller REFUSED = new Caller(null, true);
    }

    Caller caller(HttpServletRequest request) {
        String resolved = resolver.caller(request);
        if (resolved != null) {
            return new Caller(resolved, false);
        }
        String fromCredentials = credentials.callerOf(name -> {
            Enumeration<String> values = request.getHeaders(name);
            return values == null ? List.of() : Collections.list(values);
        });
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
