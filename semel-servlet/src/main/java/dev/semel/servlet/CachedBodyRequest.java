package dev.semel.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.Part;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request as the application sees it behind the filter: the body the filter already
 * read (and fingerprinted) is served again from memory, form parameters are parsed from
 * it, and {@code startAsync()} keeps the capturing response in the async context so
 * that writes made later from another thread are captured too.
 */
final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;
    private final CapturingResponse response;
    private final AsyncListener asyncListener;
    private final Runnable beforeAsyncComplete;
    private volatile AsyncContext asyncContext;
    private ByteArrayInputStream stream;
    private Map<String, String[]> parameters;
    private List<Part> parts;

    CachedBodyRequest(HttpServletRequest request, byte[] body, CapturingResponse response,
            AsyncListener asyncListener, Runnable beforeAsyncComplete) {
        super(request);
        this.body = body;
        this.response = response;
        this.asyncListener = asyncListener;
        this.beforeAsyncComplete = beforeAsyncComplete;
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
            context.addListener(asyncListener);
            try {
                response.stopDeferring();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        asyncContext = new FinishingAsyncContext(context, beforeAsyncComplete);
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
    public String getParameter(String name) {
        String[] values = parameters().get(name);
        return values == null ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameters();
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(parameters().keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] values = parameters().get(name);
        return values == null ? null : values.clone();
    }

    // ------------------------------------------------------------ multipart

    /**
     * The container would parse the parts from the input stream the filter consumed (and
     * fail, or find none), so they are parsed from the cached body.
     */
    @Override
    public Collection<Part> getParts() throws ServletException {
        if (parts == null) {
            if (!MultipartBody.isMultipart(getContentType())) {
                throw new ServletException("The request is not multipart/form-data");
            }
            parts = MultipartBody.parse(getContentType(), body);
        }
        return parts;
    }

    @Override
    public Part getPart(String name) throws ServletException {
        for (Part part : getParts()) {
            if (name.equals(part.getName())) {
                return part;
            }
        }
        return null;
    }

    // ------------------------------------------------------------ parameters

    /**
     * The container would parse form parameters from a body the filter already consumed,
     * so they are parsed here: query string first, then an urlencoded form body or the
     * fields of a multipart one.
     */
    private Map<String, String[]> parameters() {
        if (parameters == null) {
            Map<String, List<String>> collected = new LinkedHashMap<>();
            String query = getQueryString();
            if (query != null) {
                parse(query, StandardCharsets.UTF_8, collected);
            }
            if (isForm()) {
                Charset charset;
                try {
                    String encoding = getCharacterEncoding();
                    charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
                } catch (IllegalArgumentException e) {
                    charset = StandardCharsets.UTF_8;
                }
                parse(new String(body, StandardCharsets.ISO_8859_1), charset, collected);
            } else if (MultipartBody.isMultipart(getContentType())) {
                try {
                    String encoding = getCharacterEncoding();
                    MultipartBody.addParameters(getParts(),
                            encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding), collected);
                } catch (ServletException | IllegalArgumentException e) {
                    // not readable as multipart: no form fields, as a container would have it
                }
            }
            Map<String, String[]> result = new LinkedHashMap<>();
            collected.forEach((k, v) -> result.put(k, v.toArray(new String[0])));
            parameters = Collections.unmodifiableMap(result);
        }
        return parameters;
    }

    private boolean isForm() {
        String type = getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    static void parse(String encoded, Charset charset, Map<String, List<String>> into) {
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), charset);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), charset);
            into.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
        }
    }

    private static String decode(String s, Charset charset) {
        try {
            // ISO-8859-1 maps bytes 1:1 to chars, so re-encoding restores the raw bytes
            return URLDecoder.decode(new String(s.getBytes(StandardCharsets.ISO_8859_1), charset), charset);
        } catch (IllegalArgumentException e) {
            return s; // malformed escape: keep it as sent rather than fail the request
        }
    }
}
