package dev.semel.servlet;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.Part;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request whose body was read into memory before the application saw it: the container
 * would parse form parameters and multipart parts from the input stream already consumed
 * (and find none), so they are parsed here from the body in memory: the query string first,
 * then an urlencoded form body or the fields of a multipart one.
 */
abstract class FormParsingRequest extends HttpServletRequestWrapper {
    private Map<String, String[]> parameters;
    private List<Part> parts;

    FormParsingRequest(HttpServletRequest request) {
        super(request);
    }

    /** @return the whole body, or null where it is not in memory (over a limit): no form fields then */
    abstract byte[] bodyInMemory();

    @Override
    public Collection<Part> getParts() throws ServletException {
        if (parts == null) {
            byte[] body = bodyInMemory();
            if (body == null || !MultipartBody.isMultipart(getContentType())) {
                throw new ServletException("The request is not a multipart/form-data request read into memory");
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

    private Map<String, String[]> parameters() {
        if (parameters == null) {
            Map<String, List<String>> collected = new LinkedHashMap<>();
            String query = getQueryString();
            if (query != null) {
                parse(query, StandardCharsets.UTF_8, collected);
            }
            byte[] body = bodyInMemory();
            if (body != null) {
                Charset charset = charset();
                if (isUrlencodedForm(getContentType())) {
                    parse(new String(body, StandardCharsets.ISO_8859_1), charset, collected);
                } else if (MultipartBody.isMultipart(getContentType())) {
                    try {
                        MultipartBody.addParameters(getParts(), charset, collected);
                    } catch (ServletException e) {
                        // not readable as multipart: no form fields, as a container would have it
                    }
                }
            }
            Map<String, String[]> result = new LinkedHashMap<>();
            collected.forEach((k, v) -> result.put(k, v.toArray(new String[0])));
            parameters = Collections.unmodifiableMap(result);
        }
        return parameters;
    }

    private Charset charset() {
        try {
            String encoding = getCharacterEncoding();
            return encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    static boolean isUrlencodedForm(String contentType) {
        return contentType != null
                && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
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
