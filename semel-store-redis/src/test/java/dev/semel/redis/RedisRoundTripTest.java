package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

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

    @Test
    void aFirstRequestTakesTwoRoundTripsAndAReplayOne() {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client)
                .keyPrefix(TestKeys.uniquePrefix(RedisRoundTripTest.class)).build();
                Idempotency engine = Idempotency.create(store);
                StatefulRedisConnection<String, String> admin = client.connect()) {
            // warm up: connection handshake and script cache
            engine.once(SCOPE, IdempotencyKey.of("warm-" + UUID.randomUUID()), PAYLOAD, ResultCodec.utf8(), () -> "x");
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

    private static long calls(StatefulRedisConnection<String, String> admin, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(admin.sync().info("commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
