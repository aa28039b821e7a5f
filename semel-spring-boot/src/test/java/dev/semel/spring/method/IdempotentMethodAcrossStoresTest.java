package dev.semel.spring.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyMismatchException;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.method.Handlers.ChargeCommand;
import dev.semel.spring.method.Handlers.Payments;
import dev.semel.spring.method.Handlers.Receipt;
import dev.semel.test.jdbc.TestDatabases;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The same @Idempotent guarantees on every store: memory, JDBC (PostgreSQL from
 * {@code SEMEL_TEST_POSTGRES_URL}, else embedded) and Redis ({@code SEMEL_TEST_REDIS_URL}, else embedded).
 */
class IdempotentMethodAcrossStoresTest {
    private static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private static RedisClient redis;

    /** Leaves nothing behind on shared servers (Redis keys expire with their TTL). */
    @AfterAll
    static void cleanUp() throws Exception {
        if (redis != null) {
            redis.shutdown();
        }
        try (java.sql.Connection c = TestDatabases.postgres().getConnection();
                java.sql.Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS semel_method_stores_" + RUN);
        }
    }

    private static Supplier<IdempotencyStore> store(String kind) {
        return switch (kind) {
            case "memory" -> dev.semel.InMemoryIdempotencyStore::new;
            case "jdbc" -> () -> JdbcIdempotencyStore.builder(TestDatabases.postgres())
                    .tableName("semel_method_stores_" + RUN).createTableIfMissing(true).build();
            case "redis" -> () -> {
                synchronized (IdempotentMethodAcrossStoresTest.class) {
                    if (redis == null) {
                        redis = RedisClient.create(TestRedis.url());
                    }
                }
                return RedisIdempotencyStore.builder(redis).keyPrefix("semel-method-" + RUN + ":").build();
            };
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static ApplicationContextRunner runner(String kind) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                        SemelMethodAutoConfiguration.class))
                .withBean(IdempotencyStore.class, store(kind))
                .withBean(Payments.class, Payments::new)
                .withBean(Followers.class, Followers::new);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory", "jdbc", "redis"})
    void replaysTheResultRefusesOtherArgumentsAndReleasesTheKeyOnFailure(String kind) {
        runner(kind).run(context -> {
            Payments payments = context.getBean(Payments.class);
            String key = kind + "-replay-" + RUN;
            IllegalStateException timeout = new IllegalStateException("gateway timeout");
            payments.failNext(timeout);
            assertThatThrownBy(() -> payments.charge(new ChargeCommand(key, "acc", 100))).isSameAs(timeout);
            Receipt first = payments.charge(new ChargeCommand(key, "acc", 100));
            assertThat(payments.charge(new ChargeCommand(key, "acc", 100))).isEqualTo(first);
            assertThatThrownBy(() -> payments.charge(new ChargeCommand(key, "acc", 999)))
                    .isInstanceOf(IdempotencyMismatchException.class).hasMessageContaining(key);
            assertThat(payments.runs()).isEqualTo(2);
            assertThat(payments.batch(key, 2)).isEqualTo(payments.batch(key, 2)).hasSize(2);
            assertThat(payments.runs()).isEqualTo(3);
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory", "jdbc", "redis"})
    void fiftyConcurrentCallersWithOneKeyRunTheMethodOnceAndTheOthersAreAnsweredInProgressWhileItRuns(String kind) {
        runner(kind).run(context -> {
            Payments payments = context.getBean(Payments.class);
            ChargeCommand command = new ChargeCommand(kind + "-race-" + RUN, "acc", 100);
            Followers followers = context.getBean(Followers.class);
            List<Object> seen = IdempotentMethodTest.race(50, () -> payments.charge(command), payments,
                    () -> followers.awaitConflicts(49, Duration.ofSeconds(30)));
            assertThat(payments.runs()).isEqualTo(1);
            assertThat(seen).hasSize(50);
            assertThat(seen).filteredOn(Receipt.class::isInstance).containsExactly(new Receipt("r-1", "acc", 100));
            assertThat(seen).filteredOn(IdempotencyInProgressException.class::isInstance).hasSize(49);
            assertThat(payments.charge(command)).isEqualTo(new Receipt("r-1", "acc", 100));
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory", "jdbc", "redis"})
    void underTheWaitPolicyFortyNineCallersWaitWhileTheFirstRunsAndAllGetItsOneResult(String kind) {
        runner(kind).withPropertyValues("semel.in-progress.max-wait=20s").run(context -> {
            Payments payments = context.getBean(Payments.class);
            Followers followers = context.getBean(Followers.class);
            ChargeCommand command = new ChargeCommand(kind + "-wait-race-" + RUN, "acc", 100);
            List<Object> seen = IdempotentMethodTest.race(50, () -> payments.chargeWaiting(command), payments,
                    () -> followers.awaitWaiting(49, Duration.ofSeconds(30)));
            assertThat(payments.runs()).isEqualTo(1);
            assertThat(seen).hasSize(50).containsOnly(new Receipt("r-1", "acc", 100));
            assertThat(followers.count(IdempotencyEvent.Type.WAITED)).isEqualTo(49);
        });
    }
}
