package dev.semel.benchmarks.http;

import dev.semel.http.JsonBodyNormalizer;
import dev.semel.http.JsonLimitExceededException;
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
 * arrays and decimals, and on 1 MiB bodies shaped to be expensive (issue 14), to compare
 * with a flat 1 MiB body (goal: none above 3x {@code flat1m}):
 *
 * <ul>
 *   <li>{@code flat1m}: one array of small objects with sorted members;
 *   <li>{@code reversed1m}: the same with every object's members in reverse order;
 *   <li>{@code nested499}: 499 levels of objects, members out of order at every level, the
 *       rest of the MiB in the innermost one (the normalizer configured for depth 500);
 *   <li>{@code nestedRefused}: 1 MiB of {@code [}: refused at the default depth limit;
 *   <li>{@code digits1000}: 1000-digit numbers (normalizer configured for 1000 characters);
 *   <li>{@code digitsRefused}: 1000-digit numbers at the default number limit: refused;
 *   <li>{@code wide1m}: one object with ~60,000 members in reverse order (sorting);
 *   <li>{@code strings1m}: one array of long strings full of escapes.
 * </ul>
 *
 * Run with {@code -prof gc} for the allocation per body.
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
    @Param({"small", "order", "flat1m", "reversed1m", "nested499", "nestedRefused", "digits1000", "digitsRefused",
            "wide1m", "strings1m"})
    public String body;

    private static final int MIB = 1024 * 1024;

    private byte[] bytes;
    private JsonBodyNormalizer normalizer = JsonBodyNormalizer.create();

    /** Builds the body. */
    @Setup
    public void setUp() {
        String json = switch (body) {
            case "small" -> SMALL;
            case "order" -> order();
            case "flat1m" -> objects(false);
            case "reversed1m" -> objects(true);
            case "nested499" -> nested(499);
            case "nestedRefused" -> "[".repeat(MIB);
            case "digits1000", "digitsRefused" -> digits(1000);
            case "wide1m" -> wide();
            case "strings1m" -> strings();
            default -> throw new IllegalArgumentException(body);
        };
        if (body.equals("nested499")) {
            normalizer = JsonBodyNormalizer.create().withMaxNestingDepth(500);
        } else if (body.equals("digits1000")) {
            normalizer = JsonBodyNormalizer.create().withMaxNumberLength(1000);
        }
        bytes = json.getBytes(StandardCharsets.UTF_8);
    }

    private static String objects(boolean reversed) {
        StringBuilder b = new StringBuilder(MIB + 100).append('[');
        for (int i = 0; b.length() < MIB - 100; i++) {
            b.append(i == 0 ? "" : ",");
            if (reversed) {
                b.append("{\"sku\":\"SKU-").append(i).append("\",\"qty\":").append(i % 7)
                        .append(",\"price\":").append(i % 1000).append(".95,\"amount\":12.5}");
            } else {
                b.append("{\"amount\":12.5,\"price\":").append(i % 1000).append(".95,\"qty\":").append(i % 7)
                        .append(",\"sku\":\"SKU-").append(i).append("\"}");
            }
        }
        return b.append(']').toString();
    }

    private static String nested(int levels) {
        StringBuilder open = new StringBuilder();
        for (int i = 0; i < levels - 1; i++) {
            open.append("{\"z\":").append(i).append(",\"a\":");
        }
        String inner = objects(true);
        String middle = inner.substring(0, MIB - open.length() * 2 - 10) ;
        middle = middle.substring(0, middle.lastIndexOf("},") + 1) + "]";
        return open + middle + "}".repeat(levels - 1);
    }

    private static String digits(int length) {
        StringBuilder b = new StringBuilder(MIB + length).append('[');
        for (int i = 0; b.length() < MIB - length - 10; i++) {
            b.append(i == 0 ? "" : ",").append(i % 9 + 1).append("0".repeat(length - 10)).append("12345678e-5");
        }
        return b.append(']').toString();
    }

    private static String wide() {
        StringBuilder b = new StringBuilder(MIB + 100).append('{');
        for (int i = 999_999; b.length() < MIB - 100; i--) {
            b.append(i == 999_999 ? "" : ",").append("\"member-").append(i).append("\":").append(i);
        }
        return b.append('}').toString();
    }

    private static String strings() {
        StringBuilder b = new StringBuilder(MIB + 300).append('[');
        for (int i = 0; b.length() < MIB - 300; i++) {
            b.append(i == 0 ? "\"" : ",\"").append("caf\\u00e9 \\n \\\"quoted\\\" ".repeat(8)).append(i).append('"');
        }
        return b.append(']').toString();
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

    /** @return the canonical bytes, or the refusal of a body beyond a limit */
    @Benchmark
    public Object normalize() {
        try {
            return normalizer.normalize("application/json", bytes);
        } catch (JsonLimitExceededException refused) {
            return refused;
        }
    }
}
