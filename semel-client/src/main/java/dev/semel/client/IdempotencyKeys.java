package dev.semel.client;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Generators of idempotency keys: one key per logical operation, made once and sent on
 * every attempt of that operation.
 *
 * <p>Both generators draw their random bits from a {@link SecureRandom}: a key must not be
 * guessable, or another caller could replay someone else's answer within the same scope.
 */
public final class IdempotencyKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private IdempotencyKeys() {
    }

    /**
     * Random UUIDs (version 4), e.g. {@code 3b241101-e2bb-4255-8caf-4136c566a962}.
     *
     * @return the generator
     */
    public static Supplier<String> uuidV4() {
        return () -> UUID.randomUUID().toString();
    }

    /**
     * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of Unix milliseconds, then 74
     * random bits. Servers that index keys get inserts in order.
     *
     * @return the generator, reading the system clock
     */
    public static Supplier<String> uuidV7() {
        return uuidV7(Clock.systemUTC());
    }

    /**
     * Time-ordered UUIDs (version 7) whose timestamp comes from a clock.
     *
     * @param clock where the timestamp comes from
     * @return the generator
     */
    public static Supplier<String> uuidV7(Clock clock) {
        Objects.requireNonNull(clock, "clock");
        return () -> uuidV7At(clock.millis()).toString();
    }

    static UUID uuidV7At(long unixMillis) {
        long randA = RANDOM.nextInt(1 << 12);
        long randB = RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL;
        long msb = (unixMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | randA;
        long lsb = 0x8000_0000_0000_0000L | randB;
        return new UUID(msb, lsb);
    }
}
