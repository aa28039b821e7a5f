package dev.semel.spring.method;

import dev.semel.spring.Idempotent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Controller;

/** Beans whose methods the tests call; each counts how often its body really ran. */
final class Handlers {
    private Handlers() {
    }

    record ChargeCommand(String requestId, String account, long cents) {
    }

    record Receipt(String id, String account, long cents) {
    }

    record ShipOrder(String requestId, String orderId, Duration ttl) implements IdempotentCommand {
        @Override
        public String idempotencyKey() {
            return requestId;
        }

        @Override
        public Duration idempotencyTtl() {
            return ttl;
        }
    }

    /** A business outcome the application names in semel.method.stored-exceptions. */
    public static class CardDeclinedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CardDeclinedException(String message) {
            super(message);
        }
    }

    /** Declared as an interface without type information: Jackson writes it but cannot read it back. */
    interface Shape {
        double area();
    }

    record Square(double side) implements Shape {
        @Override
        public double area() {
            return side * side;
        }
    }

    static class Payments {
        final AtomicInteger runs = new AtomicInteger();
        volatile RuntimeException failNext;
        volatile CountDownLatch gate;
        /** Counted down by a gated call once it is inside the method, before it waits at the gate. */
        final CountDownLatch entered = new CountDownLatch(1);
        volatile CompletableFuture<Receipt> asyncOutcome;

        @Idempotent(key = "#command.requestId")
        public Receipt charge(ChargeCommand command) throws InterruptedException {
            int run = runs.incrementAndGet();
            CountDownLatch g = gate;
            if (g != null) {
                entered.countDown();
            }
            if (g != null && !g.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
            RuntimeException failure = failNext;
            if (failure != null) {
                failNext = null;
                throw failure;
            }
            return new Receipt("r-" + run, command.account(), command.cents());
        }

        @Idempotent(key = "#command.requestId", inProgress = Idempotent.InProgress.WAIT)
        public Receipt chargeWaiting(ChargeCommand command) throws InterruptedException {
            return charge(command);
        }

        @Idempotent(key = "#p1", scope = "#p0")
        public Receipt chargeForTenant(String tenant, String requestId, long cents) {
            return new Receipt("r-" + runs.incrementAndGet(), tenant, cents);
        }

        @Idempotent(key = "#requestId", ttl = "1h")
        public List<Receipt> batch(String requestId, int count) {
            runs.incrementAndGet();
            return java.util.stream.IntStream.range(0, count)
                    .mapToObj(i -> new Receipt("b-" + i, "acc", i)).toList();
        }

        @Idempotent(key = "#requestId")
        public Map<String, List<Receipt>> byAccount(String requestId) {
            runs.incrementAndGet();
            return Map.of("acc", List.of(new Receipt("m-1", "acc", 5)));
        }

        @Idempotent(key = "#requestId")
        public Optional<Receipt> find(String requestId, boolean present) {
            runs.incrementAndGet();
            return present ? Optional.of(new Receipt("o-1", "acc", 1)) : Optional.empty();
        }

        @Idempotent(key = "#requestId")
        public void notify(String requestId) {
            runs.incrementAndGet();
        }

        @Idempotent(key = "#requestId")
        public CompletableFuture<Receipt> chargeAsync(String requestId) {
            runs.incrementAndGet();
            return asyncOutcome;
        }

        @Idempotent(key = "#requestId")
        public CompletableFuture<Receipt> declineAsyncAtOnce(String requestId) {
            runs.incrementAndGet();
            throw new CardDeclinedException("card declined for acc-9");
        }

        @Idempotent(key = "#requestId")
        public Shape shape(String requestId) {
            runs.incrementAndGet();
            return new Square(2);
        }

        @Idempotent(key = "#requestId")
        public CompletableFuture<Shape> shapeAsync(String requestId) {
            runs.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> new Square(2));
        }

        @Idempotent(key = "#requestId")
        public String big(String requestId, int size) {
            runs.incrementAndGet();
            return "x".repeat(size);
        }

        @Idempotent
        public String ship(ShipOrder command) {
            return "shipment-" + runs.incrementAndGet() + "-" + command.orderId();
        }

        @Idempotent(key = "#requestId", required = false)
        public String optionalKey(String requestId) {
            return "run-" + runs.incrementAndGet();
        }

        @Idempotent(key = "#requestId")
        public String decline(String requestId) {
            runs.incrementAndGet();
            throw new CardDeclinedException("card declined for " + requestId);
        }

        public String notAnnotated(String requestId) {
            return "run-" + runs.incrementAndGet();
        }

        // Accessors: the tests hold the proxy, whose own fields are not the target's.

        public int runs() {
            return runs.get();
        }

        public void failNext(RuntimeException failure) {
            failNext = failure;
        }

        public void asyncOutcome(CompletableFuture<Receipt> outcome) {
            asyncOutcome = outcome;
        }

        public void gate(CountDownLatch gate) {
            this.gate = gate;
        }

        /** Whether a gated call got inside the method within the bound (a method: the bean is a proxy). */
        public boolean awaitEntered(Duration bound) throws InterruptedException {
            return entered.await(bound.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Every public method is idempotent, keyed by its IdempotentCommand argument. */
    @Idempotent
    static class ShippingBus {
        final AtomicInteger runs = new AtomicInteger();

        public String dispatch(ShipOrder command) {
            return "dispatched-" + runs.incrementAndGet();
        }

        public int runs() {
            return runs.get();
        }
    }

    /** Left to the web support: the method advisor must not touch it. */
    @Controller
    static class PaymentsController {
        final AtomicInteger runs = new AtomicInteger();

        @Idempotent
        public String create(String body) {
            return "created-" + runs.incrementAndGet();
        }
    }
}
