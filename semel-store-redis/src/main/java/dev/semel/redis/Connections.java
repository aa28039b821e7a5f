package dev.semel.redis;

import dev.semel.IdempotencyStoreException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/**
 * The store's two connections on a user's client, opened on first use: one for commands
 * (multiplexed by every thread), one for pub/sub wake-ups. Once open, Lettuce reconnects
 * them by itself; a connection that could not be opened is tried again on the next call.
 */
final class Connections implements AutoCloseable {
    private final AbstractRedisClient client;
    private final RedisPubSubListener<String, String> listener;
    private StatefulConnection<byte[], byte[]> data;
    private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private boolean closed;

    Connections(AbstractRedisClient client, RedisPubSubListener<String, String> listener) {
        if (!(client instanceof RedisClient) && !(client instanceof RedisClusterClient)) {
            throw new IllegalArgumentException("Expected a RedisClient (standalone or Sentinel) or a RedisClusterClient, got "
                    + client.getClass().getName());
        }
        this.client = client;
        this.listener = listener;
    }

    boolean isCluster() {
        return client instanceof RedisClusterClient;
    }

    RedisClusterAsyncCommands<byte[], byte[]> commands() {
        RedisClusterAsyncCommands<byte[], byte[]> c = commands;
        return c != null ? c : openCommands();
    }

    private synchronized RedisClusterAsyncCommands<byte[], byte[]> openCommands() {
        checkOpen();
        if (commands == null) {
            try {
                if (client instanceof RedisClient standalone) {
                    var connection = standalone.connect(ByteArrayCodec.INSTANCE);
                    data = connection;
                    commands = connection.async();
                } else {
                    var connection = ((RedisClusterClient) client).connect(ByteArrayCodec.INSTANCE);
                    data = connection;
                    commands = connection.async();
                }
            } catch (RuntimeException e) {
                throw new IdempotencyStoreException("Could not connect to Redis: " + e.getMessage(), e);
            }
        }
        return commands;
    }

    StatefulRedisPubSubConnection<String, String> pubSub() {
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        return p != null ? p : openPubSub();
    }

    private synchronized StatefulRedisPubSubConnection<String, String> openPubSub() {
        checkOpen();
        if (pubSub == null) {
            try {
                StatefulRedisPubSubConnection<String, String> connection = client instanceof RedisClient standalone
                        ? standalone.connectPubSub(StringCodec.UTF8)
                        : ((RedisClusterClient) client).connectPubSub(StringCodec.UTF8);
                connection.addListener(listener);
                pubSub = connection;
            } catch (RuntimeException e) {
                throw new IdempotencyStoreException("Could not open a Redis pub/sub connection: " + e.getMessage(), e);
            }
        }
        return pubSub;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("The Redis idempotency store is closed");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pubSub != null) {
            pubSub.close();
            pubSub = null;
        }
        if (data != null) {
            data.close();
            data = null;
            commands = null;
        }
    }
}
