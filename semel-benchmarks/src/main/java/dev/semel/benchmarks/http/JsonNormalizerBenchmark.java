package dev.semel.benchmarks.http;

import dev.semel.servlet.JsonBodyNormalizer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the filter spends on a JSON body before it fingerprints it: {@link JsonBodyNormalizer}
 * on the HTTP load script's small payment body and on a ~1 KiB order with nested objects,
 * arrays and decimals. Run with {@code -prof gc} for the allocation per body.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class JsonNormalizerBenchmark {
    private static final String SMALL =
            "{\"amount\":1250,\"currency\":\"EUR\",\"customer\":\"cus_42\",\"description\":\"benchmark\"}";

    /** Which body. */
    @Param({"small", "order"})
    public String body;

    private byte[] bytes;
    private final JsonBodyNormalizer normalizer = JsonBodyNormalizer.create();

    /** Builds the body. */
    @Setup
    public void setUp() {
        bytes = (body.equals("small") ? SMALL : order()).getBytes(StandardCharsets.UTF_8);
    }

    private static String order() {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            items.append(i == 0 ? "" : ",").append("{\"sku\":\"SKU-").append(1000 + i)
                    .append("\",\"quantity\":").append(i + 1).append(",\"unitPrice\":").append(9.95 + i)
                    .append(",\"tags\":[\"gift\",\"fragile\"],\"discount\":null}");
        }
        return "{\"orderId\":\"ord_8f14e45fceea167a\",\"customer\":{\"id\":\"cus_42\",\"name\":\"Ada L\u00f6velace\","
                + "\"email\":\"ada@example.com\"},\"items\":[" + items + "],\"total\":187.60,\"currency\":\"EUR\","
                + "\"express\":true,\"note\":\"Leave at the door, ring twice\"}";
    }

    /** @return the canonical bytes */
    @Benchmark
    public byte[] normalize() {
        return normalizer.normalize("application/json", bytes);
    }
}
