package dev.semel.servlet;

import dev.semel.http.JsonBodyNormalizer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UnsupportedEncodingException;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;

/**
 * The request as the application sees it behind the filter: the body the filter already
 * read (and fingerprinted) is served again from memory, form parameters are parsed from
 * it, and {@code startAsync()} keeps the capturing response in the async context so
 * that writes made later from another thread are captured too, and hands the end of the
 * async request to the {@link LeaseEnding}.
 */
final class CachedBodyRequest extends FormParsingRequest {
    private final byte[] body;
    private final CapturingResponse response;
    /** Ends the lease when an async request ends; {@code null} when there is none to end (transactional). */
    private final LeaseEnding ending;
    private volatile AsyncContext asyncContext;
    private ByteArrayInputStream stream;

    /**
     * @param ending what ends the lease when an async request ends, or {@code null} when the
     *     request runs in the store's transaction (which refuses async requests once the
     *     handler returns)
     */
    CachedBodyRequest(HttpServletRequest request, byte[] body, CapturingResponse response, LeaseEnding ending) {
        super(request);
        this.body = body;
        this.response = response;
        this.ending = ending;
    }

    boolean asyncStartedHere() {
        return asyncContext != null;
    }

    @Override
    public AsyncContext startAsync() {
        // The no-argument form would hand the *unwrapped* response to the async context,
        // and writes through it would escape the capture.
        return startAsync(this, response);
    }

    @Override
    public AsyncContext startAsync(ServletRequest servletRequest, ServletResponse servletResponse) {
        AsyncContext context = super.startAsync(servletRequest, servletResponse);
        if (asyncContext == null) {
            if (ending != null) {
                context.addListener(ending);
            }
            try {
                response.stopDeferring();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        asyncContext = ending == null ? context : new FinishingAsyncContext(context, ending);
        return asyncContext;
    }

    @Override
    public AsyncContext getAsyncContext() {
        AsyncContext context = asyncContext;
        return context != null ? context : super.getAsyncContext();
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }

    @Override
    public ServletInputStream getInputStream() {
        if (stream == null) {
            stream = new ByteArrayInputStream(body);
        }
        ByteArrayInputStream in = stream;
        return new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                try {
                    listener.onDataAvailable();
                    listener.onAllDataRead();
                } catch (IOException e) {
                    listener.onError(e);
                }
            }
        };
    }

    @Override
    public BufferedReader getReader() throws UnsupportedEncodingException {
        return new BufferedReader(new InputStreamReader(getInputStream(), bodyCharset()));
    }

    private Charset bodyCharset() throws UnsupportedEncodingException {
        String encoding = getCharacterEncoding();
        if (encoding == null) {
            return JsonBodyNormalizer.isJson(getContentType()) ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        }
        try {
            return Charset.forName(encoding);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            throw new UnsupportedEncodingException(encoding);
        }
    }

    @Override
    byte[] bodyInMemory() {
        return body;
    }
}
