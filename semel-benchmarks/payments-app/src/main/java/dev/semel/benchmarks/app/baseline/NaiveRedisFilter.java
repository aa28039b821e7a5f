package dev.semel.benchmarks.app.baseline;

import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * BASELINE (not Semel): two round trips per new key, one per replay. Before the handler
 * {@code SET key P NX PX 30000 GET} (Redis 7); after it {@code SET key status|type|body PX 24h}.
 */
final class NaiveRedisFilter extends NaiveFilter {
    private static final String RUNNING = "P";
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;

    NaiveRedisFilter(RedisClient client) {
        this.connection = client.connect();
        this.redis = connection.sync();
    }

    @Override
    Stored claim(String key) {
        String previous = redis.setGet("naive:" + key, RUNNING, SetArgs.Builder.nx().px(30_000));
        if (previous == null) {
            return null;
        }
        return RUNNING.equals(previous) ? Stored.RUNNING : Stored.parse(previous);
    }

    @Override
    void store(String key, Stored answer) {
        redis.set("naive:" + key, answer.format(), SetArgs.Builder.px(86_400_000L));
    }

    @Override
    public void destroy() {
        connection.close();
    }
}
