package dev.semel.servlet;

import dev.semel.spi.StoredResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a servlet response is kept in a {@link StoredResponse} and read back for a replay: the
 * one place that knows the pseudo headers. Status, headers and body are stored as they are;
 * that the application called {@code sendError} or {@code sendRedirect} (so the container
 * rendered the answer, and must render it again on a replay) is stored as a pseudo header,
 * a name that starts with {@code :} as no HTTP field name does. An application header whose
 * name starts with {@code :} anyway is stored with one more {@code :} in front, so that it is
 * never read back as a pseudo header.
 */
final class StoredResponseCodec {
    /** Pseudo header recording {@code sendError}'s message (empty for none). */
    static final String SEND_ERROR = ":semel-send-error";
    /** Pseudo header recording the location given to {@code sendRedirect}. */
    static final String SEND_REDIRECT = ":semel-send-redirect";

    private StoredResponseCodec() {
    }

    /**
     * An answer the application asked the container to render: {@code sendError} (with its
     * message, empty for none) or {@code sendRedirect} (with its location), or neither.
     *
     * @param error the message given to {@code sendError}, or {@code null}
     * @param redirect the location given to {@code sendRedirect}, or {@code null}
     */
    record Rendering(String error, String redirect) {
        static final Rendering NONE = new Rendering(null, null);

        static Rendering of(String error, String redirect) {
            return error == null && redirect == null ? NONE : new Rendering(error, redirect);
        }

        /** Whether the container renders this answer (an error page, a redirect). */
        boolean byContainer() {
            return error != null || redirect != null;
        }

        /** Lets the container render the error or the redirect, as the application asked. */
        void sendTo(HttpServletResponse response, int status) throws IOException {
            if (error != null) {
                response.sendError(status, error.isEmpty() ? null : error);
            } else if (status == HttpServletResponse.SC_FOUND) {
                response.sendRedirect(redirect);
            } else {
                // Servlet 6.0 containers (Jetty 12 ee10) lack sendRedirect(location, status)
                response.resetBuffer();
                response.setStatus(status);
                response.setHeader("Location", redirect);
            }
        }
    }

    /**
     * A stored response as a replay writes it.
     *
     * @param headers the application's headers, in order, as it set them
     * @param rendering what the container renders again, if anything
     */
    record Decoded(List<StoredResponse.Header> headers, Rendering rendering) {
    }

    /**
     * The stored form of a response.
     *
     * @param status the status the client got
     * @param headers the application's headers (printable: no CR, LF or NUL)
     * @param rendering a {@code sendError} or {@code sendRedirect} the application called
     * @param body the body, or {@code null} when it is not retained
     */
    static StoredResponse encode(int status, List<StoredResponse.Header> headers, Rendering rendering, byte[] body) {
        List<StoredResponse.Header> stored = new ArrayList<>(headers.size() + 1);
        for (StoredResponse.Header h : headers) {
            stored.add(h.name().startsWith(":") ? new StoredResponse.Header(":" + h.name(), h.value()) : h);
        }
        if (rendering.error() != null) {
            stored.add(new StoredResponse.Header(SEND_ERROR, printable(rendering.error())));
        } else if (rendering.redirect() != null) {
            stored.add(new StoredResponse.Header(SEND_REDIRECT, printable(rendering.redirect())));
        }
        return body == null ? StoredResponse.withoutBody(status, stored) : StoredResponse.of(status, stored, body);
    }

    /** Reads a stored response back: the application's headers and what the container renders. */
    static Decoded decode(StoredResponse stored) {
        String error = null;
        String redirect = null;
        List<StoredResponse.Header> headers = new ArrayList<>(stored.headers().size());
        for (StoredResponse.Header h : stored.headers()) {
            String name = h.name();
            if (name.equals(SEND_ERROR)) {
                error = h.value();
            } else if (name.equals(SEND_REDIRECT)) {
                redirect = h.value();
            } else if (name.startsWith("::")) {
                headers.add(new StoredResponse.Header(name.substring(1), h.value()));
            } else {
                headers.add(h);
            }
        }
        return new Decoded(headers, Rendering.of(error, redirect));
    }

    /** The value as a header may hold it: the container sent CR, LF and NUL as spaces. */
    static String printable(String s) {
        return s.replace('\r', ' ').replace('\n', ' ').replace('\0', ' ');
    }
}
