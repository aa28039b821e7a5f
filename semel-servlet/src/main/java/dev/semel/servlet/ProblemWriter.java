package dev.semel.servlet;

import dev.semel.http.IdempotencyProblem;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;

/** Writes an {@link IdempotencyProblem} as the servlet response, in place of the application's answer. */
final class ProblemWriter {
    private ProblemWriter() {
    }

    /**
     * Writes the problem as the response (status, {@code Content-Type}, optional
     * {@code Retry-After} and the body). Clears any buffered content first.
     *
     * @param response an uncommitted response
     * @param problem the problem
     * @param detail what happened in this occurrence
     * @param instance the request path, may be {@code null}
     * @param key the idempotency key, may be {@code null}
     * @param retryAfter when to retry, may be {@code null}
     * @throws IOException if writing fails
     */
    static void write(HttpServletResponse response, IdempotencyProblem problem, String detail, String instance,
            String key, Duration retryAfter) throws IOException {
        byte[] body = problem.toJson(detail, instance, key);
        if (!response.isCommitted()) {
            response.resetBuffer();
        }
        response.setStatus(problem.status());
        response.setContentType(IdempotencyProblem.MEDIA_TYPE);
        if (retryAfter != null) {
            response.setHeader("Retry-After", IdempotencyProblem.retryAfterSeconds(retryAfter));
        }
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
