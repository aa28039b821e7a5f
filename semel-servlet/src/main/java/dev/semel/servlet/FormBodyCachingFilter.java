package dev.semel.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Objects;

/**
 * Keeps the body of a keyed form or multipart request readable for the
 * {@link IdempotencyFilter} when a filter in front of it would consume it: Spring's
 * {@code FormContentFilter} reads {@code PATCH}/{@code PUT} form bodies, and a filter that
 * asks for a parameter makes the container read a {@code POST} form body. Without this the
 * fingerprint covers an empty body and the handler sees no fields.
 *
 * <p>Register it before those filters (the Spring Boot auto-configuration does). It acts only
 * on requests with a non-safe method, the key header and an
 * {@code application/x-www-form-urlencoded} or {@code multipart/form-data} body: it reads the
 * body once (up to the limit) and serves it again from memory to every reader, with the
 * parameters and parts parsed from it. A body over the limit is passed on unread, for the
 * idempotency filter to refuse.
 */
public final class FormBodyCachingFilter implements Filter {
    private final String headerName;
    private final int maxBodyBytes;

    /**
     * A filter for one key header and body limit (those of the idempotency filter).
     *
     * @param headerName the key header, e.g. {@value IdempotencyFilter#DEFAULT_HEADER_NAME}
     * @param maxBodyBytes the largest body kept in memory, positive
     */
    public FormBodyCachingFilter(String headerName, int maxBodyBytes) {
        this.headerName = Objects.requireNonNull(headerName, "headerName");
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || request.getDispatcherType() != DispatcherType.REQUEST
                || !cached(request)) {
            chain.doFilter(req, res);
            return;
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBodyBytes) {
            chain.doFilter(req, res); // the idempotency filter answers 413 from the declared length
            return;
        }
        InputStream in = request.getInputStream();
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        if (body.length > maxBodyBytes) {
            chain.doFilter(new Cached(request, body, in, true), res); // read once, for the 413
            return;
        }
        chain.doFilter(new Cached(request, body, null, false), res);
    }

    private boolean cached(HttpServletRequest request) {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS") || method.equals("TRACE")
                || request.getHeader(headerName) == null) {
            return false;
        }
        String type = request.getContentType();
        return FormParsingRequest.isUrlencodedForm(type) || MultipartBody.isMultipart(type);
    }

    /** The request with its body in memory, readable again by every reader. */
    private static final class Cached extends FormParsingRequest {
        private final byte[] body;
        private final InputStream rest;
        private final boolean overLimit;

        Cached(HttpServletRequest request, byte[] body, InputStream rest, boolean overLimit) {
            super(request);
            this.body = body;
            this.rest = rest;
            this.overLimit = overLimit;
        }

        @Override
        public ServletInputStream getInputStream() {
            InputStream in = overLimit ? new SequenceInputStream(new ByteArrayInputStream(body), rest)
                    : new ByteArrayInputStream(body); // from the start for every reader
            return new ServletInputStream() {
                private boolean finished;

                @Override
                public int read() throws IOException {
                    int b = in.read();
                    finished = b < 0;
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = in.read(b, off, len);
                    finished = n < 0;
                    return n;
                }

                @Override
                public boolean isFinished() {
                    return finished;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("The body was already read into memory");
                }
            };
        }

        @Override
        public int getContentLength() {
            return overLimit ? super.getContentLength() : body.length;
        }

        @Override
        public long getContentLengthLong() {
            return overLimit ? super.getContentLengthLong() : body.length;
        }

        @Override
        byte[] bodyInMemory() {
            return overLimit ? null : body;
        }
    }
}
