package dev.semel.nearcache;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.UUID;

/** Unique key prefixes per test class, and cleanup of what a class left in a shared Redis. */
final class RedisKeys {
    private RedisKeys() {
    }

    static String uniquePrefix(Class<?> testClass) {
        return "semel-test:" + testClass.getSimpleName() + ":" + UUID.randomUUID() + ":";
    }

    static void deleteAll(RedisClient client, String prefix) {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            ScanArgs args = ScanArgs.Builder.matches(prefix + "*").limit(1000);
            KeyScanCursor<String> cursor = redis.scan(args);
            while (true) {
                if (!cursor.getKeys().isEmpty()) {
                    redis.unlink(cursor.getKeys().toArray(String[]::new));
                }
                if (cursor.isFinished()) {
                    return;
                }
                cursor = redis.scan(cursor, args);
            }
        }
    }
}
