package dev.semel.servlet;

import dev.semel.Lease;
import dev.semel.LeaseLostException;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends the lease of one request exactly once, whichever way the request ends, so that no
 * lease keeps renewing after its request is over (a key would answer 409 until the TTL) and
 * no key is released once its effect may have happened (a retry would run it again):
 * <ul>
 *   <li>the application returned (or completed its async request): the response is stored,
 *       or the key released, as the outcome policy says; a response that cannot be stored as
 *       it is (a header value the snapshot refuses, a failing writer) is stored as
 *       "not retained": its status, without body;
 *   <li>the application threw, or an async request failed, after the status was sent to the
 *       client: the effect happened, so status and headers are stored without the body (the
 *       client got part of it at most), as the outcome policy says for that status;
 *   <li>the application threw before anything was sent: the key is released (a handler that
 *       fails is a request that did not happen);
 *   <li>an async request timed out: the worker may still be running its effect, so the answer
 *       the client got (the container's or the application's timeout answer) is stored without
 *       its body whatever its status, and never released.
 * </ul>
 *
 * <p>An async request ends through the application's {@code AsyncContext.complete()}
 * ({@link #completing()}, called by {@link FinishingAsyncContext} before the container sends
 * the end to the client), or else through the container's async events, which this listens to.
 */
final class LeaseEnding implements AsyncListener {
    private static final System.Logger LOG = System.getLogger(IdempotencyFilter.class.getName());

    private final Lease lease;
    private final CapturingResponse capture;
    private final List<StoredResponse.Header> before;
    private final Set<String> excluded;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final java.util.function.BooleanSupplier handlerNotRun;
    private volatile boolean timedOut;

    LeaseEnding(Lease lease, CapturingResponse capture, List<StoredResponse.Header> before, Set<String> excluded,
            java.util.function.BooleanSupplier handlerNotRun) {
        this.lease = lease;
        this.handlerNotRun = handlerNotRun;
        this.capture = capture;
        this.before = before;
        this.excluded = excluded;
    }

    /** The application produced its response: store it (or release, per policy). */
    void finished() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            if (timedOut) {
                store(true, "the async request timed out");
                return;
            }
            if (handlerNotRun.getAsBoolean()) {
                // answered before the handler ran (Stripe's rule): the corrected retry runs; a failed release is logged
                lease.releaseAfterFailure(null);
                return;
            }
            StoredResponse response;
            try {
                response = capture.snapshot(before, excluded, true);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "The response to idempotency key '" + lease.key()
                        + "' cannot be stored as it was sent; storing its status only"
                        + " (replays say Idempotent-Body-Retained: false)", e);
                response = statusOnly();
            }
            // timed out while it was read: the container answers instead, so no status may release the key
            end(response, timedOut);
        } catch (RuntimeException e) {
            unreadable(e);
        }
    }

    /**
     * The request failed with an exception (thrown by the application, or reported by the
     * container for an async request).
     *
     * @param failure what failed; a store failure while releasing is added to it as suppressed
     */
    void failed(Throwable failure) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            if (timedOut) {
                store(true, "the async request timed out");
                return;
            }
            if (capture.sentToClient()) {
                store(false, "the request failed after its status was sent");
                return;
            }
        } catch (RuntimeException e) {
            unreadable(e);
            return;
        }
        lease.releaseAfterFailure(failure);
    }

    /**
     * Whoever ended the request could not read its response any more (a container recycles it
     * once the request is over, and Jetty then throws from every getter): the lease is ended all
     * the same, else it would renew on and every retry would get a 409 until the TTL. What the
     * client got is unknown and its effect may have happened, so the key is kept, with the status
     * a container answers when it gives up (500) and no body.
     */
    private void unreadable(RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "The response to idempotency key '" + lease.key() + "' could not be read"
                + " when its request ended; storing status 500 without body instead of releasing the key", e);
        end(StoredResponse.withoutBody(500, List.of()), true);
    }

    /** The container timed the async request out; whatever ends it next stores the timeout answer. */
    void timedOut() {
        timedOut = true;
    }

    /**
     * The application completes its async request: the response is stored first, then the
     * container gets the Content-Length (and so may send the end), so that a client retrying
     * the moment it has the answer gets the replay.
     *
     * <p>Not once the container has timed the request out: the response is then the container's
     * (it answers, completes and recycles it on its own thread, and Jetty refuses a late complete),
     * so a worker that completes late neither reads it nor hands it a length; the container's end
     * event stores what it answered.
     */
    void completing() {
        if (timedOut) {
            return;
        }
        finished();
        capture.sendContentLength();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        finished();
    }

    @Override
    public void onError(AsyncEvent event) {
        failed(event.getThrowable());
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // the container answers (500 by default) and completes, while the worker may run on
        timedOut();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        event.getAsyncContext().addListener(this);
    }

    private void store(boolean whateverTheStatus, String why) {
        StoredResponse response;
        try {
            response = capture.snapshot(before, excluded, false);
        } catch (IOException | RuntimeException e) {
            response = statusOnly();
        }
        LOG.log(System.Logger.Level.WARNING, "Idempotency key ''{0}'': {1}; its effect may have happened, so the "
                + "record keeps status {2} without body instead of releasing the key", lease.key(), why,
                response.status());
        end(response, whateverTheStatus);
    }

    private StoredResponse statusOnly() {
        return StoredResponse.withoutBody(capture.getStatus(), List.of());
    }

    private void end(StoredResponse response, boolean whateverTheStatus) {
        try {
            if (whateverTheStatus) {
                lease.complete(response);
            } else {
                lease.finish(response);
            }
        } catch (LeaseLostException e) {
            LOG.log(System.Logger.Level.WARNING, "The response to idempotency key '" + lease.key()
                    + "' was sent but not stored: the lease was taken over while the request ran"
                    + " (raise the lease duration?)", e);
        } catch (RuntimeException e) {
            // Lease stops renewing before it calls the store: the key is not held beyond the lease
            LOG.log(System.Logger.Level.ERROR, "The response to idempotency key '" + lease.key()
                    + "' was sent but could not be stored; a retry after the lease ends runs the request again", e);
        }
    }
}
