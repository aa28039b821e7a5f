package dev.semel.servlet;

import static dev.semel.servlet.StoredResponseCodec.printable;

import dev.semel.spi.StoredResponse;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Passes the response through to the container unchanged while keeping a copy of what
 * the application produced: status and headers are read back from the container at the
 * end; body bytes are copied as written (through the output stream or the writer) up to
 * the capture limit; {@code sendError} and {@code sendRedirect} are recorded so a replay
 * lets the container render them the same way again. How that is stored is
 * {@link StoredResponseCodec}'s business.
 *
 * <p>Passing through rather than buffering keeps streaming, {@code flushBuffer} and
 * async writes working exactly as without the filter; the container's own response
 * buffer still holds small responses until the filter has completed the record.
 */
final class CapturingResponse extends HttpServletResponseWrapper {
    private static final String CONTENT_LENGTH = "Content-Length";
    private static final String CONTENT_ENCODING = "Content-Encoding";

    private final int limit;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private boolean overflow;
    private String sentError;
    private String sentRedirect;
    private boolean deferring = true;
    private int deferredStatus;
    private java.io.Closeable deferredClose;
    /** Content-Length the application set, held back until the record is stored; -1 for none. */
    private long deferredContentLength = -1;
    /** Whether Content-Length is still held back (longer than errors: through an async request too). */
    private boolean holdingLength = true;
    /**
     * Whether nothing may reach the container before {@link #sendDeferred()}: the whole body is
     * held in memory and flushes wait (transactional mode, where the record and the
     * application's writes are not committed until the handler has returned).
     */
    private final boolean holdAll;
    private ByteArrayOutputStream heldBytes;
    private java.io.CharArrayWriter heldChars;
    /** Content-Encoding the application set itself; the container may add one of its own (compression). */
    private final List<String> contentEncodings = new ArrayList<>(1);
    private ServletOutputStream teeStream;
    private PrintWriter teeWriter;
    private Writer captureWriter;

    CapturingResponse(HttpServletResponse response, int limit) {
        this(response, limit, false);
    }

    /**
     * @param holdAll whether the whole response is held back until {@link #sendDeferred()}
     *     (transactional mode); otherwise it passes through and only its end is held
     */
    CapturingResponse(HttpServletResponse response, int limit, boolean holdAll) {
        super(response);
        this.limit = limit;
        this.holdAll = holdAll;
    }

    // ------------------------------------------------------------------ body

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (teeWriter != null) {
            throw new IllegalStateException("getWriter() has already been called on this response");
        }
        if (teeStream == null) {
            ServletOutputStream real = super.getOutputStream();
            OutputStream target = holdAll ? (heldBytes = new ByteArrayOutputStream()) : real;
            teeStream = new ServletOutputStream() {
                @Override
                public void write(int b) throws IOException {
                    target.write(b);
                    capture(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    target.write(b, off, len);
                    capture(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    if (!lengthHeld() && !holdAll) {
                        real.flush();
                    }
                }

                @Override
                public void close() throws IOException {
                    closeReal(real);
                }

                @Override
                public boolean isReady() {
                    return real.isReady();
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    real.setWriteListener(listener);
                }
            };
        }
        return teeStream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (teeStream != null) {
            throw new IllegalStateException("getOutputStream() has already been called on this response");
        }
        if (teeWriter == null) {
            PrintWriter real = super.getWriter(); // also lets the container settle the charset, as without us
            Writer target = holdAll ? (heldChars = new java.io.CharArrayWriter()) : real;
            Charset charset = charset(getCharacterEncoding());
            captureWriter = new OutputStreamWriter(new OutputStream() {
                @Override
                public void write(int b) {
                    capture(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    capture(b, off, len);
                }
            }, charset);
            Writer tee = new Writer() {
                @Override
                public void write(char[] cbuf, int off, int len) throws IOException {
                    target.write(cbuf, off, len);
                    captureWriter.write(cbuf, off, len);
                }

                @Override
                public void write(String str, int off, int len) throws IOException {
                    target.write(str, off, len);
                    captureWriter.write(str, off, len);
                }

                @Override
                public void flush() throws IOException {
                    captureWriter.flush();
                    if (!lengthHeld() && !holdAll) {
                        real.flush();
                    }
                }

                @Override
                public void close() throws IOException {
                    captureWriter.flush();
                    closeReal(real);
                }
            };
            teeWriter = new PrintWriter(tee, false);
        }
        return teeWriter;
    }

    /**
     * Closing the output completes the response: the client would have it before the
     * record is stored and could retry into a 409. On the synchronous path the close
     * waits until the record is stored (see sendDeferred).
     */
    private void closeReal(java.io.Closeable real) throws IOException {
        if (deferring) {
            deferredClose = real;
        } else {
            real.close();
        }
    }

    private static Charset charset(String name) {
        try {
            return name == null ? StandardCharsets.ISO_8859_1 : Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.ISO_8859_1;
        }
    }

    private void capture(byte[] b, int off, int len) {
        if (overflow) {
            return;
        }
        if ((long) captured.size() + len > limit) {
            overflow = true;
            captured.reset();
            return;
        }
        captured.write(b, off, len);
    }

    @Override
    public void flushBuffer() throws IOException {
        if (teeWriter != null) {
            teeWriter.flush();
        }
        if (!lengthHeld() && !holdAll) {
            super.flushBuffer();
        }
    }

    @Override
    public void resetBuffer() {
        super.resetBuffer();
        discardBody();
    }

    @Override
    public void reset() {
        super.reset();
        discardBody();
        sentError = null;
        sentRedirect = null;
        deferredContentLength = -1;
    }

    private void discardBody() {
        try {
            if (captureWriter != null) {
                captureWriter.flush(); // drop chars still in the encoder along with the bytes
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        captured.reset();
        overflow = false;
        if (heldBytes != null) {
            heldBytes.reset();
        }
        if (heldChars != null) {
            heldChars.reset();
        }
    }

    /** Hands the held body to the container (transactional mode, once the transaction committed). */
    private void sendHeld() throws IOException {
        if (heldBytes != null && heldBytes.size() > 0) {
            ByteArrayOutputStream held = heldBytes;
            heldBytes = new ByteArrayOutputStream(0);
            held.writeTo(super.getOutputStream());
        } else if (heldChars != null && heldChars.size() > 0) {
            java.io.CharArrayWriter held = heldChars;
            heldChars = new java.io.CharArrayWriter(0);
            held.writeTo(super.getWriter());
        }
    }

    // ------------------------------------------------------------ Content-Length

    /*
     * A container ends the response as soon as Content-Length bytes are written (Servlet 6,
     * 5.7), before the application returns, so the client could have the response before its
     * record is stored. The length is held back until the record is stored; the container
     * still sends one (a buffered response's length is known when it is closed).
     */

    @Override
    public void setContentLength(int len) {
        setContentLengthLong(len);
    }

    @Override
    public void setContentLengthLong(long len) {
        if (holdingLength) {
            deferredContentLength = len < 0 ? -1 : len;
        } else {
            super.setContentLengthLong(len);
        }
    }

    @Override
    public void setHeader(String name, String value) {
        if (CONTENT_ENCODING.equalsIgnoreCase(name)) {
            contentEncodings.clear();
            if (value != null) {
                contentEncodings.add(value);
            }
        }
        if (!holdsContentLength(name, value)) {
            super.setHeader(name, value);
        }
    }

    @Override
    public void addHeader(String name, String value) {
        if (CONTENT_ENCODING.equalsIgnoreCase(name) && value != null) {
            contentEncodings.add(value);
        }
        if (!holdsContentLength(name, value)) {
            super.addHeader(name, value);
        }
    }

    @Override
    public void setIntHeader(String name, int value) {
        if (!holdsContentLength(name, Integer.toString(value))) {
            super.setIntHeader(name, value);
        }
    }

    @Override
    public void addIntHeader(String name, int value) {
        if (!holdsContentLength(name, Integer.toString(value))) {
            super.addIntHeader(name, value);
        }
    }

    @Override
    public String getHeader(String name) {
        if (deferredContentLength >= 0 && CONTENT_LENGTH.equalsIgnoreCase(name)) {
            return Long.toString(deferredContentLength);
        }
        return super.getHeader(name);
    }

    @Override
    public boolean containsHeader(String name) {
        return (deferredContentLength >= 0 && CONTENT_LENGTH.equalsIgnoreCase(name)) || super.containsHeader(name);
    }

    private boolean holdsContentLength(String name, String value) {
        if (!holdingLength || !CONTENT_LENGTH.equalsIgnoreCase(name)) {
            return false;
        }
        if (value == null) {
            deferredContentLength = -1;
            return true;
        }
        try {
            deferredContentLength = Long.parseLong(value.trim());
            return true;
        } catch (NumberFormatException e) {
            return false; // not a length: the container decides what it makes of it
        }
    }

    /**
     * Whether the application declared its body's length and it is held: a flush then would
     * commit the response without it (chunked), and a response of known length is not a stream
     * that needs flushing, so flushes wait for the record (the container still sends a body
     * larger than its buffer as it fills).
     */
    private boolean lengthHeld() {
        return holdingLength && deferredContentLength >= 0;
    }

    /** Hands the held Content-Length to the container: call once the record is stored. */
    void sendContentLength() {
        holdingLength = false;
        long length = deferredContentLength;
        deferredContentLength = -1;
        if (length >= 0 && !super.isCommitted()) {
            super.setContentLengthLong(length);
        }
    }

    // ------------------------------------------------------- errors, redirects

    /*
     * sendError and sendRedirect may make the container send the response at once (Jetty
     * does for redirects), before the filter has stored it: a client retrying right away
     * would get a 409. So on the synchronous path they are recorded and handed to the
     * container only after the record is complete (see sendDeferred).
     */

    @Override
    public void sendError(int sc) throws IOException {
        sendError(sc, null);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        if (!deferring) {
            super.sendError(sc, msg);
        } else {
            checkNotCommitted();
            super.resetBuffer();
            discardBody();
            deferredStatus = sc;
        }
        sentError = msg == null ? "" : msg;
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        redirect(location, SC_FOUND);
    }

    @Override
    public void sendRedirect(String location, int sc) throws IOException {
        redirect(location, sc);
    }

    @Override
    public void sendRedirect(String location, boolean clearBuffer) throws IOException {
        redirect(location, SC_FOUND);
    }

    @Override
    public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
        redirect(location, sc);
    }

    private void redirect(String location, int sc) throws IOException {
        if (!deferring) {
            if (sc == SC_FOUND) {
                super.sendRedirect(location);
            } else {
                super.sendRedirect(location, sc);
            }
        } else {
            checkNotCommitted();
            super.resetBuffer();
            discardBody();
            deferredStatus = sc;
        }
        sentRedirect = location;
    }

    private void checkNotCommitted() {
        if (isCommitted()) {
            throw new IllegalStateException("The response is already committed");
        }
    }

    @Override
    public boolean isCommitted() {
        return deferredStatus != 0 || super.isCommitted();
    }

    @Override
    public void setStatus(int sc) {
        if (deferredStatus == 0) {
            super.setStatus(sc);
        }
    }

    @Override
    public int getStatus() {
        return deferredStatus != 0 ? deferredStatus : super.getStatus();
    }

    /**
     * From now on (async processing started) errors, redirects and closes go to the container
     * at once; Content-Length stays held until {@link #sendContentLength()}.
     */
    void stopDeferring() throws IOException {
        deferring = false;
        sendDeferred(false);
    }

    /** Hands a recorded sendError, sendRedirect, close and Content-Length to the container. */
    void sendDeferred() throws IOException {
        sendDeferred(true);
    }

    private void sendDeferred(boolean withLength) throws IOException {
        java.io.Closeable close = deferredClose;
        deferredClose = null;
        int status = deferredStatus;
        if (status == 0) {
            if (withLength) {
                sendContentLength();
            }
            sendHeld();
            if (close != null) {
                close.close();
            }
            return;
        }
        deferredStatus = 0;
        deferredContentLength = -1;
        holdingLength = false;
        StoredResponseCodec.Rendering.of(sentError, sentRedirect).sendTo((HttpServletResponse) getResponse(), status);
    }

    // ------------------------------------------------------------- snapshot

    /**
     * What the application produced, as it will be stored.
     *
     * @param before the headers the response already had when the filter was entered
     *     (set by outer filters, which set them again on a replay)
     * @param excluded lower-case header names never stored
     * @param withBody whether the captured body is kept; {@code false} stores status and
     *     headers only, as "not retained" (the client got part of the body at most)
     */
    StoredResponse snapshot(List<StoredResponse.Header> before, Set<String> excluded, boolean withBody)
            throws IOException {
        if (captureWriter != null) {
            captureWriter.flush();
        }
        HttpServletResponse real = (HttpServletResponse) getResponse();
        List<StoredResponse.Header> remaining = new ArrayList<>(before);
        List<StoredResponse.Header> headers = new ArrayList<>();
        String contentType = real.getContentType();
        if (contentType != null && sentError == null && sentRedirect == null) {
            headers.add(new StoredResponse.Header("Content-Type", contentType));
        }
        Set<String> seen = new java.util.HashSet<>();
        for (String name : real.getHeaderNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-type") || excluded.contains(lower) || !seen.add(lower)) {
                continue;
            }
            // the captured body is what the application wrote; an encoding the container applies on
            // the way out (compression) is not in it, and the container applies it again on a replay
            Iterable<String> values = lower.equals("content-encoding") ? contentEncodings : real.getHeaders(name);
            for (String value : values) {
                // the container sent CR, LF and NUL as spaces (or the header was refused and the
                // request failed before this): store what the client got, never a header that splits one
                StoredResponse.Header header = new StoredResponse.Header(printable(name), printable(value));
                if (!remaining.remove(header)) {
                    headers.add(header);
                }
            }
        }
        StoredResponseCodec.Rendering rendering = StoredResponseCodec.Rendering.of(sentError, sentRedirect);
        return StoredResponseCodec.encode(getStatus(), headers, rendering,
                overflow || !withBody ? null : captured.toByteArray());
    }

    /** Whether the container has sent the status line to the client (the response is committed). */
    boolean sentToClient() {
        return getResponse().isCommitted();
    }

    /** The headers a response already has, to tell them apart from the application's. */
    static List<StoredResponse.Header> headersOf(HttpServletResponse response) {
        List<StoredResponse.Header> headers = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (String name : response.getHeaderNames()) {
            if (!seen.add(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String value : response.getHeaders(name)) {
                headers.add(new StoredResponse.Header(printable(name), printable(value)));
            }
        }
        return headers;
    }
}
