package dev.semel.servlet;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Runs an admitted request under its key: claims it, runs the application's handler behind a
 * {@link CapturingResponse}, and ends the claim with what the handler produced; a request the
 * engine does not let run goes to the {@link DuplicateAnswers}. The engine decides which of the
 * two ways applies ({@link dev.semel.Idempotency#completesInStoreTransaction()}).
 */
sealed interface Execution permits LeasedExecution, TransactionalExecution {
    /**
     * Runs a request.
     *
     * @param request the request as the container gave it
     * @param response the response as the container gave it
     * @param chain the rest of the chain (the application)
     * @param route the request's rule
     * @param admitted what admission found
     */
    void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain, IdempotentRoute route,
            Admission.Admitted admitted) throws IOException, ServletException;

    /** Whether a framework answered without running the application's handler (Stripe's rule). */
    static boolean handlerNotRun(HttpServletRequest request) {
        return Boolean.TRUE.equals(request.getAttribute(IdempotencyFilter.HANDLER_NOT_RUN_ATTRIBUTE));
    }
}
