package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.arbitraries.StringArbitrary;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the Redis record encoding: every record survives encode, decode and encode
 * again byte for byte, and any damaged value decodes to a record or to the documented
 * {@link IdempotencyStoreException}, never to anything else.
 */
class RecordCodecProperties {
    private static final long MAX_MILLIS = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

    @Property(tries = 500)
    void anInProgressRecordDecodesToItsClaimAndEncodesBackByteForByte(@ForAll("claims") ClaimRequest claim) {
        byte[] value = RecordCodec.inProgress(claim);
        IdempotencyRecord record = RecordCodec.decode(claim.recordId(), value);
        assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(record.key()).isEqualTo(claim.key());
        assertThat(record.scope()).isEqualTo(claim.scope());
        assertThat(record.leaseOwner()).isEqualTo(claim.owner());
        assertThat(record.fencingToken()).isEqualTo(claim.freshToken());
        assertThat(record.fingerprint()).isEqualTo(claim.fingerprint());
        assertThat(record.leaseDeadline()).isEqualTo(claim.leaseDeadline());
        assertThat(record.createdAt()).isEqualTo(claim.now());
        assertThat(record.expiresAt()).isEqualTo(claim.expiresAt());
        assertThat(RecordCodec.inProgress(claimOf(record))).isEqualTo(value);
    }

    @Property(tries = 500)
    void aCompletedRecordKeepsItsResponseAndEncodesBackByteForByte(@ForAll("claims") ClaimRequest claim,
            @ForAll("responses") StoredResponse response, @ForAll("millis") long completedAt) {
        byte[] value = completed(claim, completedAt, response);
        IdempotencyRecord record = RecordCodec.decode(claim.recordId(), value);
        assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(record.response()).isEqualTo(response);
        assertThat(record.completedAt()).isEqualTo(Instant.ofEpochMilli(completedAt));
        assertThat(completed(claimOf(record), record.completedAt().toEpochMilli(), record.response()))
                .isEqualTo(value);
    }

    @Property(tries = 2000)
    void aDamagedValueDecodesToARecordOrToAStoreExceptionAndNothingElse(@ForAll("claims") ClaimRequest claim,
            @ForAll("responses") StoredResponse response, @ForAll @Size(max = 8) List<@IntRange(min = 0) Integer> at,
            @ForAll @Size(max = 8) List<Byte> bytes, @ForAll @IntRange(min = 0, max = 100) int keepPercent) {
        byte[] value = completed(claim, claim.now().toEpochMilli(), response);
        for (int i = 0; i < Math.min(at.size(), bytes.size()); i++) {
            value[at.get(i) % value.length] = bytes.get(i);
        }
        byte[] damaged = Arrays.copyOf(value, (int) ((long) value.length * keepPercent / 100));
        try {
            RecordCodec.decode(claim.recordId(), damaged);
        } catch (IdempotencyStoreException expected) {
            assertThat(expected).hasMessageContaining(claim.recordId());
        }
        RecordCodec.summary(damaged);
        RecordCodec.summaryOfHeader(damaged);
    }

    @Property(tries = 300)
    void aBodyLengthPointingPastTheValueIsAStoreException(@ForAll("claims") ClaimRequest claim,
            @ForAll("responses") StoredResponse response, @ForAll @IntRange(min = 1, max = 1 << 16) int beyond) {
        assertThatBodyLengthIsRefused(claim, response, response.bodyLength() + beyond);
    }

    @Example
    void aBodyLengthNoArrayCanHoldIsAStoreExceptionNotAnOutOfMemoryError() {
        ClaimRequest claim = new ClaimRequest("0".repeat(64), "k", "s", new byte[Fingerprint.LENGTH], "o", 1,
                Instant.ofEpochMilli(1), Instant.ofEpochMilli(2), Instant.ofEpochMilli(0));
        assertThatBodyLengthIsRefused(claim, StoredResponse.of(200, List.of(), new byte[3]), Integer.MAX_VALUE);
    }

    private static void assertThatBodyLengthIsRefused(ClaimRequest claim, StoredResponse response, int length) {
        byte[] value = completed(claim, claim.now().toEpochMilli(), response);
        // the body length is the last u32 before the body
        ByteBuffer.wrap(value).putInt(value.length - response.bodyLength() - 4, length);
        assertThatThrownBy(() -> RecordCodec.decode(claim.recordId(), value))
                .isInstanceOf(IdempotencyStoreException.class).hasMessageContaining(claim.recordId());
    }

    /** What the complete script makes of an in-progress value: state, completion and expiry patched, response appended. */
    private static byte[] completed(ClaimRequest claim, long completedAt, StoredResponse response) {
        byte[] head = RecordCodec.inProgress(claim);
        byte[] tail = RecordCodec.response(response);
        byte[] value = Arrays.copyOf(head, head.length + tail.length);
        value[1] = RecordCodec.COMPLETED;
        ByteBuffer.wrap(value).putLong(26, completedAt).putLong(34, claim.expiresAt().toEpochMilli());
        System.arraycopy(tail, 0, value, head.length, tail.length);
        return value;
    }

    private static ClaimRequest claimOf(IdempotencyRecord r) {
        return new ClaimRequest(r.recordId(), r.key(), r.scope(), r.fingerprint(), r.leaseOwner(), r.fencingToken(),
                r.leaseDeadline(), r.expiresAt(), r.createdAt());
    }

    /** Unicode text without lone surrogates (which UTF-8 cannot carry) and, for headers, without CR, LF, NUL. */
    static StringArbitrary text() {
        return Arbitraries.strings().withCharRange('\u0001', '\u0009').withCharRange('\u000b', '\u000c')
                .withCharRange('\u000e', '\ud7ff').withCharRange('\ue000', '\uffff');
    }

    @Provide
    Arbitrary<Long> millis() {
        return Arbitraries.longs().between(0, MAX_MILLIS);
    }

    @Provide
    Arbitrary<ClaimRequest> claims() {
        Arbitrary<String> recordId = Arbitraries.strings().withCharRange('0', '9').withCharRange('a', 'f')
                .ofLength(64);
        Arbitrary<String> key = Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(255);
        Arbitrary<String> scope = text().ofMaxLength(300).injectNull(0.05);
        Arbitrary<String> owner = text().ofMaxLength(100);
        Arbitrary<byte[]> fingerprint = Arbitraries.bytes().array(byte[].class).ofSize(Fingerprint.LENGTH);
        Arbitrary<Long> token = Arbitraries.longs().between(1, Long.MAX_VALUE);
        Arbitrary<Instant> instant = millis().map(Instant::ofEpochMilli);
        return Combinators.combine(recordId, key.injectNull(0.05), scope, fingerprint, owner, token, instant, instant)
                .as((id, k, s, f, o, t, lease, now) -> new ClaimRequest(id, k, s, f, o, t, lease,
                        Instant.ofEpochMilli(Math.min(MAX_MILLIS, now.toEpochMilli() + 1000)), now));
    }

    @Provide
    Arbitrary<StoredResponse> responses() {
        Arbitrary<Header> header = Combinators.combine(text().ofMinLength(1).ofMaxLength(40), text().ofMaxLength(200))
                .as(Header::new);
        Arbitrary<List<Header>> headers = header.list().ofMaxSize(12);
        Arbitrary<byte[]> body = Arbitraries.bytes().array(byte[].class).ofMaxSize(2048);
        Arbitrary<Integer> status = Arbitraries.integers().between(0, 999);
        return Combinators.combine(status, headers, body, Arbitraries.of(true, false))
                .as((s, h, b, retained) -> retained ? StoredResponse.of(s, h, b) : StoredResponse.withoutBody(s, h));
    }
}
