package dev.semel.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Duplicates waiting for a record, woken by the scripts' {@code PUBLISH} on the record's
 * channel. One subscription per channel however many threads wait on it; the last waiter
 * to leave unsubscribes. When pub/sub is unavailable a waiter simply waits its (bounded)
 * timeout, and the engine's next claim is the fallback poll.
 */
final class Waiters extends RedisPubSubAdapter<String, String> {
    private static final System.Logger LOG = System.getLogger(Waiters.class.getName());

    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private Connections connections;

    void attach(Connections connections) {
        this.connections = connections;
    }

    @Override
    public void message(String channel, String message) {
        Subscription s = subscriptions.get(channel);
        if (s != null) {
            s.latches.forEach(CountDownLatch::countDown);
        }
    }

    /**
     * Waits until a message arrives on the channel or the timeout passes.
     *
     * @param channel the record's channel
     * @param timeout the longest wait
     * @param stillWaiting asked once the subscription is active: whether the record is still in
     *     progress (it may have changed before the subscription started)
     */
    void await(String channel, Duration timeout, BooleanSupplier stillWaiting) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(1, timeout.toNanos());
        CountDownLatch latch = new CountDownLatch(1);
        Subscription subscription = join(channel, latch);
        try {
            if (subscription != null && subscribed(subscription, deadline) && !stillWaiting.getAsBoolean()) {
                return;
            }
            latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            if (subscription != null) {
                leave(channel, subscription, latch);
            }
        }
    }

    private Subscription join(String channel, CountDownLatch latch) {
        try {
            return subscriptions.compute(channel, (c, s) -> {
                Subscription sub = s != null ? s : new Subscription(
                        connections.pubSub().async().subscribe(c).toCompletableFuture());
                sub.latches.add(latch);
                return sub;
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "Redis pub/sub unavailable; waiting without wake-up", e);
            return null;
        }
    }

    private static boolean subscribed(Subscription subscription, long deadline) throws InterruptedException {
        try {
            subscription.ready.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private void leave(String channel, Subscription subscription, CountDownLatch latch) {
        subscriptions.compute(channel, (c, s) -> {
            if (s != subscription) {
                return s;
            }
            s.latches.remove(latch);
            if (!s.latches.isEmpty()) {
                return s;
            }
            try {
                connections.pubSub().async().unsubscribe(c);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "Could not unsubscribe from " + c, e);
            }
            return null;
        });
    }

    /** Whether any thread waits on the channel (for tests). */
    boolean isWaiting(String channel) {
        return subscriptions.containsKey(channel);
    }

    private static final class Subscription {
        final CompletableFuture<Void> ready;
        final Set<CountDownLatch> latches = ConcurrentHashMap.newKeySet();

        Subscription(CompletableFuture<Void> ready) {
            this.ready = ready;
        }
    }
}
