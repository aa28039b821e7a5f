package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of {@link ExceptionCodec#storing}: a stored exception comes back as the same class
 * with the same message, its bytes are canonical (decode then encode gives them back), and any
 * stored bytes rebuild an allowed exception or fail with {@link IllegalStateException}, nothing else.
 */
class ExceptionCodecProperties {
    private static final ExceptionCodec CODEC = ExceptionCodec.storing(Declined.class, Overdrawn.class);

    /** A business outcome with both constructors. */
    public static class Declined extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Declined() {
            super();
        }

        public Declined(String message) {
            super(message);
        }
    }

    /** A checked business outcome with a message constructor only. */
    public static class Overdrawn extends Exception {
        private static final long serialVersionUID = 1L;

        public Overdrawn(String message) {
            super(message);
        }
    }

    /** Named through its parent, but a replay could not rebuild it: abstract. */
    public abstract static class AbstractDeclined extends Declined {
        private static final long serialVersionUID = 1L;

        protected AbstractDeclined(String message) {
            super(message);
        }
    }

    @Property(tries = 1000)
    void aStoredExceptionComesBackAsTheSameClassWithTheSameMessage(@ForAll("messages") String message) {
        for (Exception e : List.of(new Declined(message), new Overdrawn(message))) {
            Exception rebuilt = CODEC.decode(CODEC.encode(e));
            assertThat(rebuilt).isExactlyInstanceOf(e.getClass());
            assertThat(rebuilt.getMessage()).isEqualTo(message);
        }
    }

    @Example
    void anExceptionWithoutMessageComesBackWithoutMessage() {
        assertThat(CODEC.decode(CODEC.encode(new Declined())).getMessage()).isNull();
    }

    @Property(tries = 1000)
    void theStoredBytesAreCanonical(@ForAll("anyMessages") String message) {
        byte[] stored = CODEC.encode(new Declined(message));
        assertThat(CODEC.encode(CODEC.decode(stored))).isEqualTo(stored);
    }

    @Property(tries = 2000)
    void anyStoredBytesRebuildAnAllowedExceptionOrFailWithIllegalStateException(
            @ForAll("storedForms") byte[] stored, @ForAll @Size(max = 6) List<@IntRange(min = 0) Integer> at,
            @ForAll @Size(max = 6) List<Byte> bytes, @ForAll @IntRange(min = 0, max = 100) int keepPercent) {
        byte[] damaged = stored.clone();
        for (int i = 0; i < Math.min(at.size(), bytes.size()) && damaged.length > 0; i++) {
            damaged[at.get(i) % damaged.length] = bytes.get(i);
        }
        damaged = Arrays.copyOf(damaged, (int) ((long) damaged.length * keepPercent / 100));
        try {
            Exception rebuilt = CODEC.decode(damaged);
            assertThat(rebuilt).isInstanceOfAny(Declined.class, Overdrawn.class);
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessageContaining("stored exception");
        }
    }

    @Example
    void aStoredSubclassThatCannotBeRebuiltFailsWithIllegalStateException() {
        byte[] stored = (AbstractDeclined.class.getName() + "\nno").getBytes(StandardCharsets.UTF_8);
        try {
            CODEC.decode(stored);
            throw new AssertionError("an abstract class cannot be rebuilt");
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessageContaining(AbstractDeclined.class.getName());
        }
    }

    /** Messages a replay must give back exactly: any text without lone surrogates, control characters included. */
    @Provide
    Arbitrary<String> messages() {
        Arbitrary<String> text = Arbitraries.strings().withCharRange('\u0000', '\ud7ff').withCharRange('\ue000', '\uffff')
                .ofMaxLength(300);
        return Arbitraries.oneOf(text, Arbitraries.of("", "\0", "\0\0", "\0x", "\n", "a\nb", "\u0000\n"));
    }

    /** Any text, lone surrogates included (UTF-8 turns them into '?', once). */
    @Provide
    Arbitrary<String> anyMessages() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300), messages());
    }

    @Provide
    Arbitrary<byte[]> storedForms() {
        Arbitrary<byte[]> valid = messages().map(m -> CODEC.encode(new Declined(m)));
        Arbitrary<byte[]> names = Arbitraries.of(Declined.class.getName(), Overdrawn.class.getName(),
                AbstractDeclined.class.getName(), "java.lang.String", "[Ljava.lang.String;", "", "no.such.Type",
                "java.lang.RuntimeException", Declined.class.getName() + "$Nope")
                .flatMap(name -> messages().map(m -> (name + "\n" + m).getBytes(StandardCharsets.UTF_8)));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        return Arbitraries.oneOf(valid, names, random);
    }
}
