package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.jdbc.TestPostgres;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The service on a PostgreSQL this test owns, stopped and started again while the service runs:
 * keyed payments and reads are answered 503 problems with {@code Retry-After} at once (not after
 * Hikari's 30 s), and the service recovers when the database is back, without a restart.
 */
class DatabaseOutageTest {
    /**
     * Far above the 1 s default of semel.store.timeout and far below Hikari's own 30 s: a loose
     * bound for a shared, busy machine that still tells the two apart.
     */
    private static final long ANSWER_BOUND_MILLIS = 10_000;

    private static TestPostgres.Server postgres;
    private static ConfigurableApplicationContext service;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.startPrivate();
        service = Api.startService(postgres.jdbcUrl());
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void withTheDatabaseDownEveryRequestIsA503WithRetryAfterAndTheServiceRecoversWhenItReturns() {
        Api api = Api.of(service).as("alice");
        String paidKey = UUID.randomUUID().toString();
        String paidBody = payment("12.50", "EUR", "outage-" + UUID.randomUUID());
        Api.Reply paid = api.post("/payments", paidBody, paidKey);
        assertThat(paid.status()).isEqualTo(201);

        postgres.stop();
        String key = UUID.randomUUID().toString();
        String body = payment("7.00", "EUR", "outage-" + UUID.randomUUID());
        try {
            assertUnavailableSoon(() -> api.post("/payments", body, key), "a keyed payment");
            assertUnavailableSoon(() -> api.post("/payments", paidBody, paidKey), "the retry of an answered payment");
            assertUnavailableSoon(() -> api.get("/payments?limit=5"), "the list of payments");
            assertUnavailableSoon(() -> api.get(paid.header("Location")), "one payment");
        } finally {
            postgres.start();
        }

        Api.Reply after = awaitNot503(() -> api.post("/payments", body, key));
        assertThat(after.status()).as("the key the outage refused is free: %s", after).isEqualTo(201);
        Api.Reply replay = api.post("/payments", paidBody, paidKey);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.bytes()).isEqualTo(paid.bytes());
        String recipient = after.json().get("recipient").asString();
        assertThat(api.get("/payments?recipient=" + recipient).json().size()).as("charged once").isEqualTo(1);
    }

    private static void assertUnavailableSoon(Supplier<Api.Reply> call, String what) {
        long start = System.nanoTime();
        Api.Reply reply = call.get();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("database down: " + what + " answered " + reply.status() + " after " + millis + " ms");
        assertThat(reply.status()).as("%s with the database down: %s", what, reply).isEqualTo(503);
        assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
        assertThat(reply.header("Retry-After")).as("Retry-After on " + what).isNotBlank();
        assertThat(millis).as("%s answered after %d ms", what, millis).isLessThan(ANSWER_BOUND_MILLIS);
    }

    /** Polls until the service answers something other than 503 (it reconnects on its own). */
    private static Api.Reply awaitNot503(Supplier<Api.Reply> call) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Api.Reply reply = call.get();
            if (reply.status() != 503 || System.nanoTime() > deadline) {
                return reply;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
