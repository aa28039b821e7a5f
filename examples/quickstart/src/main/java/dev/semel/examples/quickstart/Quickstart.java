package dev.semel.examples.quickstart;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyMismatchException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ten clients retry the same charge at the same moment, then once more later, then one
 * reuses the key for another amount: the charge runs once, everyone gets its receipt, the
 * reuse is refused.
 */
public final class Quickstart {
    private Quickstart() {
    }

    /**
     * Runs the demo.
     *
     * @param args ignored
     * @throws Exception if the demo fails
     */
    public static void main(String[] args) throws Exception {
        AtomicInteger charges = new AtomicInteger();
        IdempotencyConfig config = IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(5)))
                .build();
        try (Idempotency idempotency = Idempotency.create(new InMemoryIdempotencyStore(), config)) {
            Scope scope = Scope.of("alice", "charge");
            IdempotencyKey key = IdempotencyKey.parse("\"order-7\"");
            byte[] payload = "{\"amount\":\"12.50\",\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);

            ExecutorService pool = Executors.newFixedThreadPool(10);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return idempotency.once(scope, key, payload, ResultCodec.utf8(), () -> {
                        Thread.sleep(200); // the payment provider is slow
                        return "receipt #" + charges.incrementAndGet();
                    });
                }));
            }
            go.countDown();
            for (int i = 0; i < answers.size(); i++) {
                System.out.printf("client %2d got: %s%n", i + 1, answers.get(i).get());
            }
            pool.shutdown();

            String later = idempotency.once(scope, key, payload, ResultCodec.utf8(),
                    () -> "receipt #" + charges.incrementAndGet());
            System.out.println("a retry a minute later got: " + later + " (replayed)");
            try {
                idempotency.once(scope, key, "{\"amount\":\"99.00\"}".getBytes(StandardCharsets.UTF_8),
                        ResultCodec.utf8(), () -> "receipt #" + charges.incrementAndGet());
            } catch (IdempotencyMismatchException | IdempotencyInProgressException e) {
                System.out.println("the same key with another amount: refused (" + e.getMessage() + ")");
            }
            System.out.println("charges actually made: " + charges.get());
        }
    }
}
