package dev.semel.benchmarks.app.baseline;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * BASELINE (not Semel): the shape of every hand-written idempotency filter. A POST with an
 * {@code Idempotency-Key} claims the key; the first runs the handler and stores
 * {@code status|content-type|body}; a duplicate replays that or gets 409 while it runs.
 */
abstract class NaiveFilter extends OncePerRequestFilter {
    /** The stored answer of a key, or {@link #RUNNING} while its first request runs. */
    record Stored(int status, String contentType, byte[] body) {
        static final Stored RUNNING = new Stored(0, "", new byte[0]);

        static Stored parse(String value) {
            int a = value.indexOf('|');
            int b = value.indexOf('|', a + 1);
            return new Stored(Integer.parseInt(value.substring(0, a)), value.substring(a + 1, b),
                    value.substring(b + 1).getBytes(StandardCharsets.UTF_8));
        }

        String format() {
            return status + "|" + contentType + "|" + new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Claims the key: {@code null} if this request claimed it, else what the key holds. */
    abstract Stored claim(String key);

    /** Stores the first request's answer. */
    abstract void store(String key, Stored answer);

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = request.getHeader("Idempotency-Key");
        if (key == null || !"POST".equals(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        Stored existing = claim(key);
        if (existing != null) {
            if (existing.status() == Stored.RUNNING.status()) {
                response.setStatus(409);
                return;
            }
            response.setStatus(existing.status());
            response.setContentType(existing.contentType());
            response.setContentLength(existing.body().length);
            response.getOutputStream().write(existing.body());
            return;
        }
        ContentCachingResponseWrapper capture = new ContentCachingResponseWrapper(response);
        chain.doFilter(request, capture);
        String type = capture.getContentType();
        store(key, new Stored(capture.getStatus(), type == null ? "" : type, capture.getContentAsByteArray()));
        capture.copyBodyToResponse();
    }
}
