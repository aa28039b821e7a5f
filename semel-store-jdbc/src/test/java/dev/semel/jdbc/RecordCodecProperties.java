package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Properties of how the JDBC store writes and reads a record: the header encoding round trips
 * byte for byte, damaged header bytes are a store exception and nothing else, and any record
 * survives a real H2 row unchanged.
 */
class RecordCodecProperties {
    private static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999999Z");
    private static JdbcIdempotencyStore h2;
    private static JdbcIdempotencyStore postgres;

    private static synchronized JdbcIdempotencyStore h2() {
        if (h2 == null) {
            h2 = JdbcIdempotencyStore.builder(TestDatabases.h2("semel-jdbc-properties")).useDatabaseClock(false)
                    .tableName(Tables.unique("semel_prop")).createTableIfMissing(true).build();
        }
        return h2;
    }

    private static synchronized JdbcIdempotencyStore postgres() {
        if (postgres == null) {
            postgres = JdbcIdempotencyStore.builder(TestDatabases.postgres()).useDatabaseClock(false)
                    .tableName(Tables.unique("semel_prop")).createTableIfMissing(true).build();
        }
        return postgres;
    }

    @AfterContainer
    static synchronized void dropTables() {
        for (JdbcIdempotencyStore store : java.util.Arrays.asList(h2, postgres)) {
            if (store != null) {
                Tables.drop(store.dataSource, store.tableName());
            }
        }
        h2 = null;
        postgres = null;
    }

    @Property(tries = 1000)
    void headersDecodeToWhatWasEncodedAndEncodeBackByteForByte(@ForAll("headerLists") List<Header> headers) {
        byte[] encoded = RecordTable.encodeHeaders(headers);
        List<Header> decoded = RecordTable.decodeHeaders(encoded);
        assertThat(decoded).isEqualTo(headers);
        assertThat(RecordTable.encodeHeaders(decoded)).isEqualTo(encoded);
    }

    @Property(tries = 2000)
    void damagedHeaderBytesDecodeToHeadersOrToAStoreExceptionAndNothingElse(
            @ForAll("headerLists") List<Header> headers, @ForAll @Size(max = 8) List<@IntRange(min = 0) Integer> at,
            @ForAll @Size(max = 8) List<Byte> bytes, @ForAll @IntRange(min = 0, max = 100) int keepPercent) {
        byte[] value = RecordTable.encodeHeaders(headers);
        for (int i = 0; i < Math.min(at.size(), bytes.size()); i++) {
            value[at.get(i) % value.length] = bytes.get(i);
        }
        byte[] damaged = Arrays.copyOf(value, (int) ((long) value.length * keepPercent / 100));
        try {
            RecordTable.decodeHeaders(damaged);
        } catch (IdempotencyStoreException expected) {
            assertThat(expected).hasMessageContaining("headers");
        }
    }

    @Example
    void aHeaderCountOrLengthNoArrayCanHoldIsAStoreExceptionNotAnOutOfMemoryError() {
        byte[] count = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
        assertThatThrownBy(() -> RecordTable.decodeHeaders(count)).isInstanceOf(IdempotencyStoreException.class);
        byte[] length = ByteBuffer.allocate(8).putInt(1).putInt(Integer.MAX_VALUE).array();
        assertThatThrownBy(() -> RecordTable.decodeHeaders(length)).isInstanceOf(IdempotencyStoreException.class);
        byte[] negative = ByteBuffer.allocate(8).putInt(1).putInt(-1).array();
        assertThatThrownBy(() -> RecordTable.decodeHeaders(negative)).isInstanceOf(IdempotencyStoreException.class);
        byte[] lineBreak = RecordTable.encodeHeaders(List.of(new Header("a", "xy")));
        lineBreak[lineBreak.length - 1] = '\n';
        assertThatThrownBy(() -> RecordTable.decodeHeaders(lineBreak)).isInstanceOf(IdempotencyStoreException.class);
    }

    @Property(tries = 200)
    void anyRecordSurvivesARealH2RowUnchanged(@ForAll("claims") ClaimRequest claim,
            @ForAll("responses") StoredResponse response, @ForAll("instants") Instant expiresAt) {
        assertThatRecordSurvives(h2(), claim, response, expiresAt);
    }

    @Property(tries = 100)
    void anyRecordSurvivesARealPostgreSqlRowUnchanged(@ForAll("claims") ClaimRequest claim,
            @ForAll("responses") StoredResponse response, @ForAll("instants") Instant expiresAt) {
        assertThatRecordSurvives(postgres(), claim, response, expiresAt);
    }

    private static void assertThatRecordSurvives(JdbcIdempotencyStore store, ClaimRequest claim,
            StoredResponse response, Instant expiresAt) {
        store.delete(claim.recordId()); // a failed try (and jqwik's shrinking) may leave its row
        assertThat(store.claim(claim)).isInstanceOf(ClaimResult.Claimed.class);
        IdempotencyRecord inProgress = store.find(claim.recordId(), claim.now()).orElseThrow();
        assertThat(inProgress.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(inProgress.key()).isEqualTo(claim.key());
        assertThat(inProgress.scope()).isEqualTo(claim.scope());
        assertThat(inProgress.leaseOwner()).isEqualTo(claim.owner());
        assertThat(inProgress.fingerprint()).isEqualTo(claim.fingerprint());
        assertThat(inProgress.fencingToken()).isEqualTo(claim.freshToken());
        assertThat(inProgress.leaseDeadline()).isEqualTo(claim.leaseDeadline());
        assertThat(inProgress.createdAt()).isEqualTo(claim.now());

        Instant expiry = expiresAt.isAfter(claim.now()) ? expiresAt : claim.expiresAt();
        assertThat(store.complete(claim.recordId(), claim.freshToken(), response, expiry, claim.now())).isTrue();
        IdempotencyRecord completed = store.find(claim.recordId(), claim.now()).orElseThrow();
        assertThat(completed.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(completed.response()).isEqualTo(response);
        assertThat(completed.response().bodyRetained()).isEqualTo(response.bodyRetained());
        assertThat(completed.completedAt()).isEqualTo(claim.now());
        assertThat(completed.expiresAt()).isEqualTo(expiry);
        store.delete(claim.recordId());
    }

    static StringArbitrary text() {
        return Arbitraries.strings().withCharRange('\u0001', '\u0009').withCharRange('\u000b', '\u000c')
                .withCharRange('\u000e', '\ud7ff').withCharRange('\ue000', '\uffff');
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs().between(0, MAX.getEpochSecond() * 1_000_000L)
                .map(micros -> Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
    }

    @Provide
    Arbitrary<List<Header>> headerLists() {
        Arbitrary<Header> header = Combinators.combine(text().ofMinLength(1).ofMaxLength(40), text().ofMaxLength(200))
                .as(Header::new);
        return header.list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<ClaimRequest> claims() {
        Arbitrary<String> recordId = Arbitraries.strings().withCharRange('0', '9').withCharRange('a', 'f')
                .ofLength(64);
        Arbitrary<String> key = Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(255);
        Arbitrary<String> scope = text().ofMaxLength(500);
        Arbitrary<String> owner = text().ofMaxLength(255);
        Arbitrary<byte[]> fingerprint = Arbitraries.bytes().array(byte[].class).ofSize(Fingerprint.LENGTH);
        Arbitrary<Long> token = Arbitraries.longs().between(1, Long.MAX_VALUE - 1);
        return Combinators.combine(recordId, key, scope, fingerprint, owner, token, instants(), instants())
                .as((id, k, s, f, o, t, lease, now) -> new ClaimRequest(id, k, s, f, o, t, lease,
                        now.isBefore(MAX.minusSeconds(3600)) ? now.plusSeconds(3600) : MAX, now));
    }

    @Provide
    Arbitrary<StoredResponse> responses() {
        Arbitrary<byte[]> body = Arbitraries.bytes().array(byte[].class).ofMaxSize(4096);
        Arbitrary<Integer> status = Arbitraries.integers().between(0, 999);
        return Combinators.combine(status, headerLists(), body, Arbitraries.of(true, false))
                .as((s, h, b, retained) -> retained ? StoredResponse.of(s, h, b) : StoredResponse.withoutBody(s, h));
    }
}
