package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandStartedEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Counts what one request costs in Redis: the commands the store sends (a Lettuce command
 * listener) and what the server ran ({@code INFO commandstats} on a server this test owns).
 */
class RedisRoundTripTest {
    private static final Scope SCOPE = Scope.of("caller", "POST /charges");
    private static final byte[] PAYLOAD = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
    private static TestRedis.Server server;
    private static RedisClient client;
    private static final List<String> sent = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() {
        server = TestRedis.startPrivate();
        client = RedisClient.create(server.url());
        client.addListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                sent.add(event.getCommand().getType().toString());
            }
        });
    }

    @AfterAll
    static void stop() {
        client.shutdown();
        server.close();
    }

    /** The embedded server is Redis 6.2, which rejects {@code SET NX GET}: every claim is the script. */
    @Test
    void beforeRedis7AFirstRequestTakesTwoScriptsAndAReplayOne() {
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            assumeTrue(majorVersion(admin) < 7, "the embedded server is older than Redis 7");
            try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client)
                    .keyPrefix(TestKeys.uniquePrefix(RedisRoundTripTest.class)).build();
                    Idempotency engine = Idempotency.create(store)) {
                // warm up: connection handshake, script cache, and the store learns SET NX GET is refused
                engine.once(SCOPE, IdempotencyKey.of("warm-" + UUID.randomUUID()), PAYLOAD, ResultCodec.utf8(),
                        () -> "x");
                IdempotencyKey key = IdempotencyKey.of("count-" + UUID.randomUUID());

                admin.sync().configResetstat();
                sent.clear();
                engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt");
                assertThat(sent).containsExactly("EVALSHA", "EVALSHA");
                assertThat(calls(admin, "evalsha")).isEqualTo(2);

                admin.sync().configResetstat();
                sent.clear();
                assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "again")).isEqualTo("receipt");
                assertThat(sent).containsExactly("EVALSHA");
                assertThat(calls(admin, "evalsha")).isEqualTo(1);
                assertThat(calls(admin, "eval")).isZero();
            }
        }
    }

    /**
     * On Redis 7 a claim is one {@code SET NX GET}: a first request is that and the complete
     * script, a replay is one {@code SET} and no script. Runs on {@code SEMEL_TEST_REDIS_URL} when
     * it names Redis 7 or later (shared, so only the commands this client sent are counted), else
     * on a private server started from a {@code redis-server} 7+ found on {@code PATH}; skipped,
     * saying so, only when neither exists (the embedded server is Redis 6.2).
     */
    @Test
    void fromRedis7AClaimIsOneSetNxGetAndAReplayRunsNoScript() {
        TestRedis.Server own = null;
        String url = TestRedis.external() ? TestRedis.url() : null;
        if (url != null) {
            RedisClient probe = RedisClient.create(url);
            try (StatefulRedisConnection<String, String> admin = probe.connect()) {
                if (majorVersion(admin) < 7) {
                    url = null;
                }
            } finally {
                probe.shutdown();
            }
        }
        if (url == null) {
            own = TestRedis.startPrivateRedis7().orElse(null);
            assumeTrue(own != null, "Redis 7 path NOT TESTED: SEMEL_TEST_REDIS_URL does not name Redis 7+ and no "
                    + "redis-server 7+ is on PATH (the embedded server is 6.2)");
            url = own.url();
        }
        RedisClient shared = RedisClient.create(url);
        List<String> sharedSent = Collections.synchronizedList(new ArrayList<>());
        shared.addListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                sharedSent.add(event.getCommand().getType().toString());
            }
        });
        String prefix = TestKeys.uniquePrefix(RedisRoundTripTest.class);
        try (StatefulRedisConnection<String, String> admin = shared.connect()) {
            assertThat(majorVersion(admin)).as("the server this test runs on").isGreaterThanOrEqualTo(7);
            try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(shared).keyPrefix(prefix).build();
                    Idempotency engine = Idempotency.create(store)) {
                engine.once(SCOPE, IdempotencyKey.of("warm-" + UUID.randomUUID()), PAYLOAD, ResultCodec.utf8(),
                        () -> "x");
                IdempotencyKey key = IdempotencyKey.of("count-" + UUID.randomUUID());

                sharedSent.clear();
                engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt");
                assertThat(sharedSent).containsExactly("SET", "EVALSHA");

                sharedSent.clear();
                assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "again")).isEqualTo("receipt");
                assertThat(sharedSent).containsExactly("SET");
            }
        } finally {
            TestKeys.deleteAll(shared, prefix);
            shared.shutdown();
            if (own != null) {
                own.close();
            }
        }
    }

    private static int majorVersion(StatefulRedisConnection<String, String> admin) {
        Matcher m = Pattern.compile("redis_version:(\\d+)").matcher(admin.sync().info("server"));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static long calls(StatefulRedisConnection<String, String> admin, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(admin.sync().info("commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
