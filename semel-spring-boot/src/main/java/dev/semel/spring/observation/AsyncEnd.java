package dev.semel.spring.observation;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The end of an asynchronous request, as a stage: completed when it completes, failed on an error. */
final class AsyncEnd implements AsyncListener {
    private final CompletableFuture<Void> end = new CompletableFuture<>();

    private AsyncEnd() {
    }

    static CompletionStage<Void> of(AsyncContext context) {
        AsyncEnd listener = new AsyncEnd();
        context.addListener(listener);
        return listener.end;
    }

    @Override
    public void onComplete(AsyncEvent event) {
        end.complete(null);
    }

    @Override
    public void onError(AsyncEvent event) {
        Throwable error = event.getThrowable();
        end.completeExceptionally(error != null ? error : new IllegalStateException("asynchronous request failed"));
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // the container completes the request (or reports an error) next
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        event.getAsyncContext().addListener(this); // started again (a re-dispatch): keep listening
    }
}
