package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a real three-master Redis Cluster started by the test: scripts by
 * SHA on every master, one slot per record, SCAN across all masters.
 */
class RedisClusterContractTest extends IdempotencyStoreContract {
    private static final String PREFIX = TestKeys.uniquePrefix(RedisClusterContractTest.class);
    private static TestRedis.Cluster cluster;
    private static RedisClusterClient client;

    @BeforeAll
    static void startCluster() {
        cluster = TestRedis.startCluster();
        List<RedisURI> seeds = cluster.urls().stream().map(RedisURI::create).collect(Collectors.toList());
        client = RedisClusterClient.create(seeds);
    }

    @AfterAll
    static void stopCluster() {
        try {
            if (client != null) {
                client.shutdown();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Override
    protected IdempotencyStore createStore() {
        // the contract moves time with now: judge time by the caller's clock
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).useServerClock(false).build();
    }

    @Override
    protected IdempotencyStore createStoreOnItsOwnClock() {
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build();
    }

    @Override
    protected void disposeStore(IdempotencyStore store) {
        ((RedisIdempotencyStore) store).close();
    }

    @Test
    void recordsSpreadOverEveryMasterAndEachLivesInTheSlotOfItsHashTag() {
        RedisIdempotencyStore redis = (RedisIdempotencyStore) store;
        Set<String> masters = new HashSet<>();
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            for (int i = 0; i < 30; i++) {
                String id = newRecordId();
                store.claim(claimAt(id, "spread-" + i, randomFingerprint(), "o", T0));
                String key = redis.keyString(id);
                int slot = SlotHash.getSlot(key);
                assertThat(slot).isEqualTo(SlotHash.getSlot(id.getBytes(StandardCharsets.UTF_8)));
                masters.add(connection.getPartitions().getPartitionBySlot(slot).getNodeId());
                assertThat(connection.sync().exists(key)).isEqualTo(1L);
            }
        }
        assertThat(masters).hasSize(3);
    }
}
