package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hashes computed with a digest reused per thread equal freshly computed ones, under concurrency too. */
class HashingReuseTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");

    @Test
    void aPayloadFingerprintEqualsTheSameOneBuiltPartByPart() {
        byte[] payload = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
        Fingerprint.builder().add("interleaved", "builder left open");
        assertThat(Fingerprint.of(payload)).isEqualTo(Fingerprint.builder().add("payload", payload).build());
        assertThat(Fingerprint.of(new byte[0])).isEqualTo(Fingerprint.builder().add("payload", new byte[0]).build());
        assertThat(Fingerprint.of(payload)).isNotEqualTo(Fingerprint.of(new byte[] {1}));
        // a record id hashed in between leaves nothing behind in the next fingerprint
        String id = SCOPE.recordId(IdempotencyKey.of("k"));
        assertThat(Fingerprint.of(payload)).isEqualTo(Fingerprint.builder().add("payload", payload).build());
        assertThat(SCOPE.recordId(IdempotencyKey.of("k"))).isEqualTo(id);
    }

    @Test
    void threadsHashingAtOnceGetTheSameIdsAsOneThreadAlone() throws Exception {
        int threads = 8;
        int keys = 500;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            expected.add(SCOPE.recordId(IdempotencyKey.of("key-" + i)) + Fingerprint.of(new byte[] {(byte) i}).hex());
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < keys; i++) {
                        mine.add(SCOPE.recordId(IdempotencyKey.of("key-" + i))
                                + Fingerprint.of(new byte[] {(byte) i}).hex());
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (Future<List<String>> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
