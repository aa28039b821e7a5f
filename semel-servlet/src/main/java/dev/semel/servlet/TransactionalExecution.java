package dev.semel.servlet;

import dev.semel.Duplicate;
import dev.semel.Idempotency;
import dev.semel.IdempotencyStoreException;
import dev.semel.Outcome;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a request inside the store's transaction, so that its record commits with the
 * application's writes: nothing reaches the client before the commit (a flush would send a
 * 2xx for writes that a failing commit then rolls back). Synchronous requests only: an async
 * request would finish after the commit, so it fails with an {@link IllegalStateException}.
 */
final class TransactionalExecution implements Execution {
    private final Idempotency engine;
    private final DuplicateAnswers answers;
    private final int maxCapturedBodyBytes;
    private final Set<String> excludedResponseHeaders;

    TransactionalExecution(Idempotency engine, DuplicateAnswers answers, int maxCapturedBodyBytes,
            Set<String> excludedResponseHeaders) {
        this.engine = engine;
        this.answers = answers;
        this.maxCapturedBodyBytes = maxCapturedBodyBytes;
        this.excludedResponseHeaders = excludedResponseHeaders;
    }

    /** Unwinds the transaction of a request whose handler never ran; its answer is sent, not stored. */
    private static final class HandlerNotRun extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HandlerNotRun() {
            super(null, null, false, false);
        }
    }

    @Override
    public void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            IdempotentRoute route, Admission.Admitted admitted) throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes, true);
        CachedBodyRequest wrapped = new CachedBodyRequest(request, admitted.body(), capture, null);
        AtomicBoolean ran = new AtomicBoolean();
        Outcome outcome;
        try {
            outcome = engine.execute(admitted.scope(), admitted.key(), admitted.fingerprint(), route.callOptions(),
                    lease -> {
                        ran.set(true);
                        chain.doFilter(wrapped, capture);
                        if (wrapped.asyncStartedHere() || request.isAsyncStarted()) {
                            throw new IllegalStateException("Async requests cannot run under a transactional "
                                    + "idempotency store: the transaction would commit before the response is "
                                    + "complete");
                        }
                        if (Execution.handlerNotRun(request)) {
                            throw new HandlerNotRun(); // roll back: the claim goes, the answer is sent below
                        }
                        return capture.snapshot(before, excludedResponseHeaders, true);
                    });
        } catch (HandlerNotRun e) {
            capture.sendDeferred();
            return;
        } catch (IdempotencyStoreException e) {
            if (!response.isCommitted()) {
                response.reset(); // the transaction rolled back: what the handler wrote did not happen
            }
            if (ran.get()) {
                answers.commitFailed(response, request.getRequestURI(), admitted.key(), e);
            } else {
                answers.storeUnavailable(response, request.getRequestURI(), admitted.key(), e);
            }
            return;
        } catch (IOException | ServletException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ServletException(e);
        }
        if (outcome instanceof Duplicate duplicate) {
            if (ran.get() && !response.isCommitted()) {
                response.reset(); // rolled back (the lease was lost): drop what the handler set
            }
            answers.answer(response, duplicate, request.getRequestURI(), admitted.key());
        } else {
            capture.sendDeferred();
        }
    }
}
