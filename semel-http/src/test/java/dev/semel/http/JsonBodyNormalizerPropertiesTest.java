package dev.semel.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the JSON canonical form over generated JSON values: every spelling of a value
 * (member order, whitespace, number spelling, string escapes) normalises to the same bytes;
 * any change of the value gives other bytes; arbitrary input never raises anything but
 * {@link IllegalArgumentException}; the work is bounded (limits are enforced, and the
 * canonical form stays linear in the input).
 */
class JsonBodyNormalizerPropertiesTest {
    private static final String JSON = "application/json";
    private static final JsonBodyNormalizer NORMALIZER = JsonBodyNormalizer.create();

    /** A JSON value as a model: objects keep their members in a list (names unique). */
    interface J {
    }

    record Obj(List<Member> members) implements J {
    }

    record Member(String name, J value) {
    }

    record Arr(List<J> items) implements J {
    }

    record Str(String value) implements J {
    }

    record Num(BigDecimal value) implements J {
    }

    record Lit(String text) implements J {
    }

    @Provide
    Arbitrary<J> json() {
        return value(4);
    }

    private Arbitrary<J> value(int depth) {
        Arbitrary<J> leaf = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(Str::new),
                Arbitraries.bigIntegers().between(BigInteger.TEN.pow(20).negate(), BigInteger.TEN.pow(20))
                        .flatMap(unscaled -> Arbitraries.integers().between(-25, 25)
                                .map(scale -> new Num(new BigDecimal(unscaled, scale)))),
                Arbitraries.of("true", "false", "null").map(Lit::new));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<J> child = Arbitraries.lazy(() -> value(depth - 1));
        Arbitrary<J> object = Arbitraries.strings().ofMaxLength(6).list().ofMaxSize(5).uniqueElements()
                .flatMap(names -> child.list().ofSize(names.size()).map(values -> {
                    List<Member> members = new ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                        members.add(new Member(names.get(i), values.get(i)));
                    }
                    return new Obj(members);
                }));
        Arbitrary<J> array = child.list().ofMaxSize(5).map(Arr::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, leaf), net.jqwik.api.Tuple.of(2, object),
                net.jqwik.api.Tuple.of(2, array));
    }

    // ------------------------------------------------------------ rendering a model as JSON text

    static String render(J value, Random random) {
        StringBuilder out = new StringBuilder();
        render(value, random, out);
        return space(random) + out + space(random);
    }

    private static void render(J value, Random random, StringBuilder out) {
        if (value instanceof Obj o) {
                List<Member> members = new ArrayList<>(o.members());
                Collections.shuffle(members, random);
                out.append('{').append(space(random));
                for (int i = 0; i < members.size(); i++) {
                    if (i > 0) {
                        out.append(space(random)).append(',').append(space(random));
                    }
                    string(members.get(i).name(), random, out);
                    out.append(space(random)).append(':').append(space(random));
                    render(members.get(i).value(), random, out);
                }
                out.append(space(random)).append('}');
        } else if (value instanceof Arr a) {
                out.append('[').append(space(random));
                for (int i = 0; i < a.items().size(); i++) {
                    if (i > 0) {
                        out.append(',').append(space(random));
                    }
                    render(a.items().get(i), random, out);
                }
                out.append(space(random)).append(']');
        } else if (value instanceof Str s) {
            string(s.value(), random, out);
        } else if (value instanceof Num n) {
            out.append(number(n.value(), random));
        } else {
            out.append(((Lit) value).text());
        }
    }

    private static String space(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\n\t";
            case 2 -> "\r\n  ";
            default -> "";
        };
    }

    private static void string(String s, Random random, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean mustEscape = c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c);
            if (mustEscape || random.nextInt(4) == 0) {
                if (c == '"' && random.nextBoolean()) {
                    out.append("\\\"");
                } else if (c == '\n' && random.nextBoolean()) {
                    out.append("\\n");
                } else {
                    String hex = String.format("%04x", (int) c);
                    out.append("\\u").append(random.nextBoolean() ? hex : hex.toUpperCase());
                }
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    /** One of the many spellings of a number. */
    static String number(BigDecimal value, Random random) {
        BigDecimal v = random.nextBoolean() ? value : value.setScale(Math.max(value.scale(), 0) + random.nextInt(4));
        String plain = v.toPlainString();
        String spelled = switch (random.nextInt(5)) {
            case 0 -> plain;
            case 1 -> v.unscaledValue() + (random.nextBoolean() ? "e" : "E") + (-v.scale());
            case 2 -> { // d.ddd E exponent
                String digits = v.unscaledValue().abs().toString();
                int exponent = digits.length() - 1 - v.scale();
                String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
                yield (v.signum() < 0 ? "-" : "") + mantissa + "e" + (exponent >= 0 ? "+" : "") + exponent;
            }
            case 3 -> v.signum() == 0 ? "-0.0e-7" // one more zero, one less exponent:
                    : v.unscaledValue() + "0e" + (-v.scale() - 1);
            default -> v.unscaledValue() + "e-0" + v.scale(); // leading zero in the exponent
        };
        return spelled.replace("e-0-", "e+").replace("e+-", "e-");
    }

    // ------------------------------------------------------------ changing a model

    /** A value that differs from {@code value} in exactly one place. */
    static J mutate(J value, Random random) {
        if (value instanceof Obj o) {
                List<Member> members = new ArrayList<>(o.members());
                if (members.isEmpty() || random.nextInt(4) == 0) {
                    String fresh = "fresh" + members.size();
                    members.add(new Member(fresh, new Lit("null")));
                } else if (random.nextInt(3) == 0) {
                    members.remove(random.nextInt(members.size()));
                } else {
                    int i = random.nextInt(members.size());
                    Member m = members.get(i);
                    members.set(i, random.nextInt(5) == 0 ? new Member(m.name() + "x", m.value())
                            : new Member(m.name(), mutate(m.value(), random)));
                }
                return new Obj(members);
        } else if (value instanceof Arr a) {
                List<J> items = new ArrayList<>(a.items());
                if (items.isEmpty() || random.nextInt(4) == 0) {
                    items.add(new Lit("null"));
                } else if (items.size() > 1 && random.nextInt(3) == 0
                        && !items.get(0).equals(items.get(items.size() - 1))
                        && !canonical(items.get(0)).equals(canonical(items.get(items.size() - 1)))) {
                    Collections.swap(items, 0, items.size() - 1); // order matters in arrays
                } else {
                    int i = random.nextInt(items.size());
                    items.set(i, mutate(items.get(i), random));
                }
                return new Arr(items);
        } else if (value instanceof Str s) {
            return random.nextBoolean() ? new Str(s.value() + "\u00e9") : new Num(BigDecimal.ONE);
        } else if (value instanceof Num n) {
            BigDecimal delta = BigDecimal.ONE.movePointLeft(random.nextInt(30));
            return random.nextInt(4) == 0 ? new Str(n.value().toPlainString()) : new Num(n.value().add(delta));
        }
        Lit l = (Lit) value;
        return new Lit(l.text().equals("true") ? "false" : l.text().equals("false") ? "null" : "true");
    }

    private static String canonical(J value) {
        return new String(normalize(render(value, new Random(0))), StandardCharsets.ISO_8859_1);
    }

    private static byte[] normalize(String json) {
        return NORMALIZER.normalize(JSON, json.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------ properties

    @Property(tries = 500)
    void everySpellingOfAValueHasTheSameCanonicalForm(@ForAll("json") J value, @ForAll long seed1,
            @ForAll long seed2) {
        String a = render(value, new Random(seed1));
        String b = render(value, new Random(seed2));
        assertThat(normalize(a)).as("%s%nvs%n%s", a, b).isEqualTo(normalize(b));
    }

    @Property(tries = 500)
    void anyChangeOfAValueChangesTheCanonicalForm(@ForAll("json") J value, @ForAll long seed) {
        Random random = new Random(seed);
        J changed = mutate(value, random);
        String a = render(value, random);
        String b = render(changed, random);
        assertThat(normalize(a)).as("%s%nvs%n%s", a, b).isNotEqualTo(normalize(b));
    }

    @Property(tries = 1000)
    void arbitraryBytesAreCanonicalisedOrRefusedAsIllegalArguments(@ForAll @Size(max = 300) byte[] body) {
        assertOnlyIllegalArgument(body);
    }

    @Provide
    Arbitrary<String> tokenSoup() {
        return Arbitraries.of("{", "}", "[", "]", ":", ",", "\"a\"", "\"", "\\", "\\u00", "\\ud800", "1", "-", "+",
                "e", "E", ".", "0", "00", "1e999999999999", "true", "nul", " ", "\u0000", "\u00e9", "\ud83d",
                "NaN", "Infinity", "/*", "//", "'").list().ofMaxSize(60).map(tokens -> String.join("", tokens));
    }

    @Property(tries = 3000)
    void jsonLikeGarbageIsCanonicalisedOrRefusedAsIllegalArguments(@ForAll("tokenSoup") String text) {
        assertOnlyIllegalArgument(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300)
    void theCanonicalFormGrowsLinearlyWithTheBody(@ForAll("json") J value, @ForAll long seed) {
        byte[] body = render(value, new Random(seed)).getBytes(StandardCharsets.UTF_8);
        assertThat(NORMALIZER.normalize(JSON, body).length).isLessThanOrEqualTo(5 * body.length + 32);
    }

    @Property(tries = 100)
    void nestingBeyondTheLimitIsAlwaysRefusedWhateverTheShape(
            @ForAll @IntRange(min = 1, max = 3000) int extra, @ForAll long seed) {
        Random random = new Random(seed);
        int depth = JsonBodyNormalizer.DEFAULT_MAX_NESTING_DEPTH + extra;
        StringBuilder open = new StringBuilder();
        StringBuilder close = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (random.nextBoolean()) {
                open.append("{\"k").append(i).append("\":");
                close.insert(0, '}');
            } else {
                open.append("[1,");
                close.insert(0, ']');
            }
        }
        String body = open + "0" + close;
        assertThatThrownBy(() -> normalize(body)).isInstanceOfSatisfying(JsonLimitExceededException.class,
                e -> assertThat(e.limit()).isEqualTo(JsonLimitExceededException.Limit.NESTING_DEPTH));
    }

    private static void assertOnlyIllegalArgument(byte[] body) {
        for (String type : List.of(JSON, "application/merge-patch+json", "text/plain")) {
            try {
                NORMALIZER.normalize(type, body);
            } catch (IllegalArgumentException expected) {
                // invalid JSON, or a limit: the documented failures
            }
        }
    }
}
