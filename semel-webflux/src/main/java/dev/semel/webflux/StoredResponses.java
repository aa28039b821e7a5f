package dev.semel.webflux;

import dev.semel.spi.StoredResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * How a response is kept in a {@link StoredResponse} and read back for a replay, in the Servlet
 * filter's format so that either adapter replays the other's records. A header name never
 * starts with {@code :}, so the Servlet filter stores what only its container can render again
 * ({@code sendError}, {@code sendRedirect}) as pseudo headers with such names, and escapes an
 * application header whose name starts with {@code :} anyway with one more {@code :} in front.
 * A replay here skips the pseudo headers (the status, the headers and the body the client got
 * are replayed as stored) and unescapes the escaped names.
 */
final class StoredResponses {
    private StoredResponses() {
    }

    /**
     * The stored form of a response.
     *
     * @param status the status the client got
     * @param headers the application's headers
     * @param body the body, or {@code null} when it is not retained
     */
    static StoredResponse encode(int status, List<StoredResponse.Header> headers, byte[] body) {
        List<StoredResponse.Header> stored = new ArrayList<>(headers.size());
        for (StoredResponse.Header h : headers) {
            stored.add(h.name().startsWith(":") ? new StoredResponse.Header(":" + h.name(), h.value()) : h);
        }
        return body == null ? StoredResponse.withoutBody(status, stored) : StoredResponse.of(status, stored, body);
    }

    /** The headers a replay sends: the application's, without the Servlet filter's pseudo headers. */
    static List<StoredResponse.Header> replayedHeaders(StoredResponse stored) {
        List<StoredResponse.Header> headers = new ArrayList<>(stored.headers().size());
        for (StoredResponse.Header h : stored.headers()) {
            String name = h.name();
            if (name.startsWith("::")) {
                headers.add(new StoredResponse.Header(name.substring(1), h.value()));
            } else if (!name.startsWith(":")) {
                headers.add(h);
            }
        }
        return headers;
    }
}
