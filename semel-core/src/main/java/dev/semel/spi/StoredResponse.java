package dev.semel.spi;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of a first execution, kept so that every retry gets the same answer.
 *
 * <p>For HTTP it holds the status, the headers in order (repeated names allowed) and the
 * body bytes exactly as produced. Method-level callers store an encoded result with
 * {@link #ofResult(byte[])}. When a body was larger than the capture limit the record is
 * still completed, with {@link #bodyRetained()} {@code false} and an empty body: the
 * operation must never run twice just because its answer was big.
 */
public final class StoredResponse {
    private static final byte[] EMPTY = new byte[0];

    private final int status;
    private final List<Header> headers;
    private final byte[] body;
    private final boolean bodyRetained;

    private StoredResponse(int status, List<Header> headers, byte[] body, boolean bodyRetained) {
        if (status < 0 || status > 999) {
            throw new IllegalArgumentException("status must be between 0 and 999, was " + status);
        }
        this.status = status;
        this.headers = List.copyOf(headers);
        this.body = body;
        this.bodyRetained = bodyRetained;
    }

    /**
     * A response with its full body.
     *
     * @param status the HTTP status (or 200 for method results)
     * @param headers the headers to replay, in order
     * @param body the body bytes; copied
     * @return the response
     */
    public static StoredResponse of(int status, List<Header> headers, byte[] body) {
        return new StoredResponse(status, headers, body.clone(), true);
    }

    /**
     * A response whose body exceeded the capture limit and was not kept.
     *
     * @param status the HTTP status
     * @param headers the headers to replay, in order
     * @return the response, with an empty body
     */
    public static StoredResponse withoutBody(int status, List<Header> headers) {
        return new StoredResponse(status, headers, EMPTY, false);
    }

    /**
     * Restores a response from a store, choosing whether the body was retained.
     *
     * @param status the status
     * @param headers the headers
     * @param body the body (ignored unless retained); copied
     * @param bodyRetained whether the body was kept
     * @return the response
     */
    public static StoredResponse restore(int status, List<Header> headers, byte[] body, boolean bodyRetained) {
        return bodyRetained ? of(status, headers, body) : withoutBody(status, headers);
    }

    /**
     * The stored form of a method's encoded result.
     *
     * @param encodedResult the result as its codec encoded it
     * @return a response with status 200, no headers
     */
    public static StoredResponse ofResult(byte[] encodedResult) {
        return of(200, List.of(), encodedResult);
    }

    /** The header of a method result that was not retained ({@link #ofResultNotRetained}): it says why. */
    public static final String NOT_RETAINED_HEADER = "Semel-Not-Retained";

    /**
     * The stored form of a method's result that ran but could not be stored (the codec could not
     * encode it or read it back, or it was too large): the record is completed without it, so a
     * duplicate never runs the method again and gets
     * {@link dev.semel.IdempotencyResultNotRetainedException} instead.
     *
     * @param reason why the result was not retained (kept, shortened, for the duplicate's message),
     *     {@code null} if unknown
     * @return a response with status 200 and no body
     */
    public static StoredResponse ofResultNotRetained(@Nullable String reason) {
        StringBuilder printable = new StringBuilder();
        String text = reason == null ? "unknown reason" : reason;
        for (int i = 0; i < text.length() && printable.length() < 300; i++) {
            char c = text.charAt(i);
            printable.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        return withoutBody(200, List.of(new Header(NOT_RETAINED_HEADER, printable.toString().strip())));
    }

    /**
     * Returns the status.
     *
     * @return the HTTP status
     */
    public int status() {
        return status;
    }

    /**
     * Returns the headers in the order produced.
     *
     * @return an unmodifiable list
     */
    public List<Header> headers() {
        return headers;
    }

    /**
     * Returns every value of a header, case-insensitively by name.
     *
     * @param name the header name
     * @return the values in order, possibly empty
     */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>(1);
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    /**
     * Returns the first value of a header, case-insensitively by name.
     *
     * @param name the header name
     * @return the first value, if any
     */
    public Optional<String> header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return Optional.of(h.value());
            }
        }
        return Optional.empty();
    }

    /**
     * Returns a copy of the body.
     *
     * @return the bytes (empty when not retained)
     */
    public byte[] body() {
        return body.clone();
    }

    /**
     * Writes the body to a stream without copying it first: what a replay does with a
     * large body (a servlet output stream, a socket).
     *
     * @param out where the bytes go; it must not keep or change the array it is handed
     * @throws IOException if the stream fails
     */
    public void writeBodyTo(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        if (body.length > 0) {
            out.write(body);
        }
    }

    /**
     * Returns the body's length without copying it.
     *
     * @return the number of body bytes stored
     */
    public int bodyLength() {
        return body.length;
    }

    /**
     * Whether the full body was kept.
     *
     * @return {@code false} when the body exceeded the capture limit
     */
    public boolean bodyRetained() {
        return bodyRetained;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof StoredResponse other
                && status == other.status
                && bodyRetained == other.bodyRetained
                && headers.equals(other.headers)
                && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, headers, bodyRetained) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "StoredResponse[status=" + status + ", headers=" + headers.size() + ", body=" + body.length
                + " bytes" + (bodyRetained ? "" : " (not retained)") + "]";
    }

    /**
     * One header line.
     *
     * @param name the field name, not empty
     * @param value the field value
     */
    public record Header(String name, String value) {
        /**
         * Validates the header: no CR, LF or NUL, which could split a replayed response.
         *
         * @param name the field name
         * @param value the field value
         */
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("header name must not be empty");
            }
            if (hasLineBreak(name) || hasLineBreak(value)) {
                throw new IllegalArgumentException("header " + name + " contains CR, LF or NUL");
            }
        }

        private static boolean hasLineBreak(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    return true;
                }
            }
            return false;
        }
    }
}
