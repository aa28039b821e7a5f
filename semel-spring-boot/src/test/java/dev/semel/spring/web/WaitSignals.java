package dev.semel.spring.web;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import dev.semel.StoreOperation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** Tells the test when a duplicate waits, and which events each key produced. */
final class WaitSignals implements IdempotencyListener {
    volatile CountDownLatch waiting = new CountDownLatch(1);
    final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();

    void reset() {
        waiting = new CountDownLatch(1);
        events.clear();
    }

    List<IdempotencyEvent.Type> typesFor(String key) {
        return events.stream().filter(e -> e.key() != null && e.key().value().equals(key))
                .map(IdempotencyEvent::type).toList();
    }

    @Override
    public void onStoreCallStart(StoreOperation operation) {
        if (operation == StoreOperation.AWAIT) {
            waiting.countDown();
        }
    }

    @Override
    public void onEvent(IdempotencyEvent event) {
        events.add(event);
    }
}
