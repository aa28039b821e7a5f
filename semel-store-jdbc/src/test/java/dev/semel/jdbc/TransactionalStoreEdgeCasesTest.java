package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.RecordState;
import dev.semel.test.jdbc.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transactional store at the store's own interface, without the engine in between: how
 * long a duplicate's claim may wait for the transaction holding its key, what it answers when
 * that wait runs out, and what becomes of a claim committed on its own when the business
 * transaction rolls back.
 */
class TransactionalStoreEdgeCasesTest {
    private static final Instant T0 = Instant.parse("2031-03-04T05:06:07.123Z");

    final DataSource h2 = TestDatabases.h2("semel-jdbc-tx-edges");
    String table;

    @BeforeEach
    void name() {
        table = Tables.unique("semel_tx_edge");
    }

    @AfterEach
    void drop() {
        Tables.drop(h2, table);
        Tables.drop(TestDatabases.postgres(), table);
    }

    static String newId() {
        return Scope.of("tests", "tx-edge").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
    }

    static ClaimRequest claim(String id, String owner, long token) {
        return new ClaimRequest(id, "k-" + id.substring(0, 8), "tests", new byte[32], owner, token,
                T0.plusSeconds(30), T0.plus(Duration.ofHours(1)), T0);
    }

    /** The query timeouts set on the statements of one claim inside a business transaction. */
    private java.util.List<Integer> claimTimeouts(Duration lockWaitTimeout) {
        FaultyDataSource recording = new FaultyDataSource(h2);
        JdbcIdempotencyStore.Builder b = JdbcIdempotencyStore.builder(recording.dataSource()).useDatabaseClock(false)
                .tableName(table).createTableIfMissing(true);
        if (lockWaitTimeout != null) {
            b.lockWaitTimeout(lockWaitTimeout);
        }
        TransactionalJdbcIdempotencyStore store = b.buildTransactional();
        recording.queryTimeouts.clear();
        ClaimResult result = store.inTransaction(() -> store.claim(claim(newId(), "a", 7)));
        assertThat(result).isInstanceOf(ClaimResult.Claimed.class);
        return recording.queryTimeouts;
    }

    @Test
    void aDuplicatesWaitForTheHoldingTransactionIsTheLockWaitTimeoutRoundedUpToWholeSeconds() {
        assertThat(claimTimeouts(null)).containsOnly(2);
        assertThat(claimTimeouts(Duration.ofMillis(1500))).containsOnly(2);
        assertThat(claimTimeouts(Duration.ofMillis(3001))).containsOnly(4);
        assertThat(claimTimeouts(Duration.ofSeconds(3))).containsOnly(3);
        assertThat(claimTimeouts(Duration.ofMillis(1))).containsOnly(1);
    }

    /**
     * PostgreSQL makes a second insert of the same key wait for the first transaction; when the
     * wait runs out the store answers {@code Locked} (the engine says "in progress"), a value
     * every caller of the SPI can switch on.
     */
    @Test
    @Timeout(60)
    void aClaimThatOutwaitsItsLockWaitTimeoutAnswersLocked() throws Exception {
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(TestDatabases.postgres())
                .useDatabaseClock(false).tableName(table).createTableIfMissing(true)
                .lockWaitTimeout(Duration.ofSeconds(1)).buildTransactional();
        String id = newId();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ExecutorService holder = Executors.newSingleThreadExecutor();
        try {
            Future<ClaimResult> first = holder.submit(() -> store.inTransaction(() -> {
                ClaimResult r = store.claim(claim(id, "first", 7));
                claimed.countDown();
                assertThat(finish.await(30, TimeUnit.SECONDS)).isTrue();
                return r;
            }));
            assertThat(claimed.await(30, TimeUnit.SECONDS)).isTrue();

            ClaimResult duplicate = store.inTransaction(() -> store.claim(claim(id, "second", 9)));

            assertThat(duplicate).isEqualTo(new ClaimResult.Locked());
            finish.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(new ClaimResult.Claimed(7, false));
        } finally {
            finish.countDown();
            holder.shutdownNow();
        }
    }

    /**
     * In two-commit mode the claim commits before the business transaction; when that rolls
     * back, the store itself releases the claim, so the key runs again at once instead of after
     * its lease.
     */
    @Test
    void aClaimCommittedOnItsOwnIsReleasedWhenTheBusinessTransactionRollsBack() {
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false)
                .tableName(table).createTableIfMissing(true).claimMode(ClaimMode.SEPARATE_TRANSACTION)
                .buildTransactional();
        String id = newId();

        assertThatThrownBy(() -> store.inTransaction(() -> {
            assertThat(store.claim(claim(id, "first", 7))).isEqualTo(new ClaimResult.Claimed(7, false));
            assertThat(store.find(id, T0)).isPresent(); // committed already
            throw new IllegalStateException("business failure");
        })).hasMessage("business failure");

        assertThat(store.find(id, T0)).isEmpty();
        assertThat(store.claim(claim(id, "second", 9))).isEqualTo(new ClaimResult.Claimed(9, false));
    }

    @Test
    void aClaimCommittedOnItsOwnStaysWhenTheBusinessTransactionCommits() {
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false)
                .tableName(table).createTableIfMissing(true).claimMode(ClaimMode.SEPARATE_TRANSACTION)
                .buildTransactional();
        String id = newId();

        store.inTransaction(() -> store.claim(claim(id, "first", 7)));

        assertThat(store.find(id, T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(store.claimMode()).isEqualTo(ClaimMode.SEPARATE_TRANSACTION);
    }

    /** The engine nests nothing, but a user's code may: the inner call joins the outer transaction. */
    @Test
    void aNestedTransactionJoinsTheOuterOneAndHandsBackItsResult() {
        DataSourceTransactionBoundary boundary = new DataSourceTransactionBoundary(h2);
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false)
                .tableName(table).createTableIfMissing(true).transactionBoundary(boundary).buildTransactional();
        String id = newId();

        String result = store.inTransaction(() -> {
            java.sql.Connection outer = store.currentConnection();
            return store.inTransaction(() -> {
                assertThat(store.currentConnection()).isSameAs(outer);
                store.claim(claim(id, "inner", 7));
                return "inner";
            });
        });

        assertThat(result).isEqualTo("inner");
        assertThat(store.transactionBoundary()).isSameAs(boundary);
        assertThat(store.find(id, T0)).isPresent();
    }
}
