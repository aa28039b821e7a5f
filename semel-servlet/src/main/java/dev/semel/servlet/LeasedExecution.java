package dev.semel.servlet;

import dev.semel.Decision;
import dev.semel.Duplicate;
import dev.semel.Idempotency;
import dev.semel.IdempotencyStoreException;
import dev.semel.Lease;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Runs a request under a lease, synchronous or async: the response passes through to the
 * client as the handler writes it, and its end (an error, a redirect, a close, the
 * Content-Length) is held until the record is stored. The {@link LeaseEnding} ends the lease
 * once, whichever way the request ends: when the handler returns, when it throws, or, for an
 * async request, when the application completes it or the container reports its end.
 */
final class LeasedExecution implements Execution {
    private final Idempotency engine;
    private final DuplicateAnswers answers;
    private final int maxCapturedBodyBytes;
    private final Set<String> excludedResponseHeaders;

    LeasedExecution(Idempotency engine, DuplicateAnswers answers, int maxCapturedBodyBytes,
            Set<String> excludedResponseHeaders) {
        this.engine = engine;
        this.answers = answers;
        this.maxCapturedBodyBytes = maxCapturedBodyBytes;
        this.excludedResponseHeaders = excludedResponseHeaders;
    }

    @Override
    public void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            IdempotentRoute route, Admission.Admitted admitted) throws IOException, ServletException {
        Decision decision;
        try {
            decision = engine.begin(admitted.scope(), admitted.key(), admitted.fingerprint(), route.callOptions());
        } catch (IdempotencyStoreException e) {
            answers.storeUnavailable(response, request.getRequestURI(), admitted.key(), e);
            return;
        }
        if (decision instanceof Duplicate duplicate) {
            answers.answer(response, duplicate, request.getRequestURI(), admitted.key());
        } else {
            run(request, response, chain, ((Decision.Execute) decision).lease(), admitted.body());
        }
    }

    private void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Lease lease,
            byte[] body) throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes);
        LeaseEnding ending = new LeaseEnding(lease, capture, before, excludedResponseHeaders,
                () -> Execution.handlerNotRun(request));
        CachedBodyRequest wrapped = new CachedBodyRequest(request, body, capture, ending);
        try {
            chain.doFilter(wrapped, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            ending.failed(e);
            throw e;
        }
        if (wrapped.asyncStartedHere()) {
            return; // the ending ends the lease when the async request completes
        }
        if (request.isAsyncStarted()) {
            // started on the unwrapped request (by an outer component): follow it too
            capture.stopDeferring();
            capture.sendContentLength(); // no hook before that request's end: it is stored when it ends
            request.getAsyncContext().addListener(ending);
            return;
        }
        ending.finished();
        capture.sendDeferred();
    }
}
