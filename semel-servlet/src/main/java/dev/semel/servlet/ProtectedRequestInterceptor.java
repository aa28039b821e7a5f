package dev.semel.servlet;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;

/**
 * Runs around the {@link IdempotencyFilter}'s handling of each request it protects (a
 * marked route, a protected method, and a key, or a required key missing), from parsing the
 * key to the last store call: the place for a trace span or a timer that should enclose the
 * engine's store calls and the handler. Requests the filter passes through untouched never
 * reach it.
 *
 * <pre>{@code
 * IdempotencyFilter.builder(engine)
 *         .interceptor((request, handling) -> {
 *             try (Span span = tracer.start("semel")) {
 *                 handling.proceed();
 *             }
 *         })
 *         .build();
 * }</pre>
 *
 * <p>It must call {@link Handling#proceed()} exactly once, on the calling thread, and let
 * what it throws propagate.
 */
@FunctionalInterface
public interface ProtectedRequestInterceptor {
    /**
     * Surrounds the protected handling of one request.
     *
     * @param request the request
     * @param handling the filter's handling of it (key, engine, handler, response)
     * @throws IOException as the handling throws it
     * @throws ServletException as the handling throws it
     */
    void intercept(HttpServletRequest request, Handling handling) throws IOException, ServletException;

    /** The filter's handling of a protected request. */
    @FunctionalInterface
    interface Handling {
        /**
         * Runs it.
         *
         * @throws IOException from the handler or while writing the response
         * @throws ServletException from the handler
         */
        void proceed() throws IOException, ServletException;
    }
}
