package dev.semel.servlet;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parts of a {@code multipart/form-data} body (RFC 7578) that the filter already read:
 * the container would parse them from its input stream, which the filter consumed to
 * fingerprint the body, so {@link CachedBodyRequest} serves them from the cached bytes.
 */
final class MultipartBody {
    private MultipartBody() {
    }

    /** Whether a content type is {@code multipart/form-data}. */
    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    }

    /**
     * Splits a body into its parts.
     *
     * @throws ServletException if the content type has no boundary or the body is not multipart
     */
    static List<Part> parse(String contentType, byte[] body) throws ServletException {
        String boundary = parameter(contentType, "boundary");
        if (boundary == null || boundary.isEmpty()) {
            throw new ServletException("The multipart request has no boundary in its Content-Type");
        }
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        byte[] nextDelimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = body.length >= delimiter.length && startsWith(body, 0, delimiter) ? 0 : indexOf(body, nextDelimiter, 0);
        if (at < 0) {
            throw new ServletException("The multipart body has no part delimited by its boundary");
        }
        at += at == 0 && startsWith(body, 0, delimiter) ? delimiter.length : nextDelimiter.length;
        List<Part> parts = new ArrayList<>();
        while (true) {
            if (startsWith(body, at, new byte[] {'-', '-'})) {
                return Collections.unmodifiableList(parts); // the close delimiter
            }
            at = skipLine(body, at); // transport padding and CRLF after the delimiter
            int headersEnd = indexOf(body, new byte[] {'\r', '\n', '\r', '\n'}, at - 2);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            int contentStart;
            if (startsWith(body, at, new byte[] {'\r', '\n'})) {
                contentStart = at + 2; // no headers at all
            } else {
                if (headersEnd < 0) {
                    throw new ServletException("A multipart part's headers do not end");
                }
                for (String line : new String(body, at, headersEnd - at, StandardCharsets.UTF_8).split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                                k -> new ArrayList<>(1)).add(line.substring(colon + 1).trim());
                    }
                }
                contentStart = headersEnd + 4;
            }
            int contentEnd = indexOf(body, nextDelimiter, contentStart);
            if (contentEnd < 0) {
                throw new ServletException("The multipart body ends inside a part");
            }
            byte[] content = java.util.Arrays.copyOfRange(body, contentStart, contentEnd);
            parts.add(new CachedPart(headers, content));
            at = contentEnd + nextDelimiter.length;
        }
    }

    /** The form fields among the parts (those without a file name), as parameters. */
    static void addParameters(Collection<Part> parts, Charset charset, Map<String, List<String>> into) {
        for (Part part : parts) {
            if (part.getSubmittedFileName() == null && part.getName() != null) {
                into.computeIfAbsent(part.getName(), n -> new ArrayList<>(1))
                        .add(new String(((CachedPart) part).content, charset));
            }
        }
    }

    private static int skipLine(byte[] body, int at) {
        int i = at;
        while (i + 1 < body.length && !(body[i] == '\r' && body[i + 1] == '\n')) {
            i++;
        }
        return Math.min(body.length, i + 2);
    }

    private static boolean startsWith(byte[] body, int at, byte[] prefix) {
        if (at < 0 || at + prefix.length > body.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (body[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] body, byte[] what, int from) {
        for (int i = Math.max(0, from); i + what.length <= body.length; i++) {
            if (startsWith(body, i, what)) {
                return i;
            }
        }
        return -1;
    }

    /** A parameter of a header value such as {@code form-data; name="a"; filename="b.txt"}. */
    static String parameter(String headerValue, String name) {
        if (headerValue == null) {
            return null;
        }
        int i = headerValue.indexOf(';');
        while (i >= 0 && i < headerValue.length()) {
            int start = i + 1;
            while (start < headerValue.length() && headerValue.charAt(start) == ' ') {
                start++;
            }
            int eq = headerValue.indexOf('=', start);
            if (eq < 0) {
                return null;
            }
            String paramName = headerValue.substring(start, eq).trim();
            int valueStart = eq + 1;
            String value;
            int next;
            if (valueStart < headerValue.length() && headerValue.charAt(valueStart) == '"') {
                StringBuilder v = new StringBuilder();
                int j = valueStart + 1;
                while (j < headerValue.length() && headerValue.charAt(j) != '"') {
                    char c = headerValue.charAt(j);
                    if (c == '\\' && j + 1 < headerValue.length()) {
                        c = headerValue.charAt(++j);
                    }
                    v.append(c);
                    j++;
                }
                value = v.toString();
                next = headerValue.indexOf(';', j);
            } else {
                next = headerValue.indexOf(';', valueStart);
                value = headerValue.substring(valueStart, next < 0 ? headerValue.length() : next).trim();
            }
            if (paramName.equalsIgnoreCase(name)) {
                return value;
            }
            i = next;
        }
        return null;
    }

    /** One part, held in memory. */
    static final class CachedPart implements Part {
        private final Map<String, List<String>> headers;
        private final byte[] content;

        CachedPart(Map<String, List<String>> headers, byte[] content) {
            this.headers = headers;
            this.content = content;
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(content);
        }

        @Override
        public String getContentType() {
            return getHeader("Content-Type");
        }

        @Override
        public String getName() {
            return parameter(getHeader("Content-Disposition"), "name");
        }

        @Override
        public String getSubmittedFileName() {
            return parameter(getHeader("Content-Disposition"), "filename");
        }

        @Override
        public long getSize() {
            return content.length;
        }

        @Override
        public void write(String fileName) throws IOException {
            Path path = Path.of(fileName);
            if (!path.isAbsolute()) {
                path = Path.of(System.getProperty("java.io.tmpdir")).resolve(path);
            }
            Files.write(path, content);
        }

        @Override
        public void delete() {
            // held in memory only: nothing to delete
        }

        @Override
        public String getHeader(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        @Override
        public Collection<String> getHeaders(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? List.of() : List.copyOf(values);
        }

        @Override
        public Collection<String> getHeaderNames() {
            return List.copyOf(headers.keySet());
        }
    }
}
