package dev.semel.spring.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.jdbc.ClaimMode;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * With Spring's transaction manager on PostgreSQL: a replay through the read-first claim never
 * asks the transaction manager for a transaction; without it, every replay begins one (and in
 * separate-transaction mode, borrows a second connection for its claim).
 */
class ReadFirstWithSpringTransactionsTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final Fingerprint FINGERPRINT = Fingerprint.of("{}".getBytes(StandardCharsets.UTF_8));
    private static final StoredResponse CREATED = StoredResponse.of(201, List.of(),
            "paid".getBytes(StandardCharsets.UTF_8));

    private final DataSource postgres = TestDatabases.postgres();
    private final String table = "semel_rf_spring_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);

    /** Counts the transactions Spring begins. */
    static final class CountingTransactionManager extends JdbcTransactionManager {
        private static final long serialVersionUID = 1L;
        final AtomicInteger begun = new AtomicInteger();

        CountingTransactionManager(DataSource dataSource) {
            super(dataSource);
        }

        @Override
        protected void doBegin(Object transaction, TransactionDefinition definition) {
            begun.incrementAndGet();
            super.doBegin(transaction, definition);
        }
    }

    @AfterEach
    void dropTable() throws Exception {
        try (Connection c = postgres.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
        }
    }

    @ParameterizedTest
    @CsvSource({"IN_BUSINESS_TRANSACTION, true, 0", "SEPARATE_TRANSACTION, true, 0",
        "IN_BUSINESS_TRANSACTION, false, 1", "SEPARATE_TRANSACTION, false, 1"})
    void aReplayBeginsASpringTransactionOnlyWithoutReadFirst(ClaimMode mode, boolean readFirst, int transactions) {
        CountingTransactionManager manager = new CountingTransactionManager(postgres);
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(postgres).tableName(table)
                .createTableIfMissing(true).claimMode(mode).readFirst(readFirst)
                .transactionBoundary(new SpringTransactionBoundary(manager, postgres)).buildTransactional();
        AtomicInteger executions = new AtomicInteger();
        IdempotencyKey key = IdempotencyKey.of("rf-" + UUID.randomUUID());
        try (Idempotency engine = Idempotency.create(store)) {
            Outcome first = engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                executions.incrementAndGet();
                return CREATED;
            });
            assertThat(first).isEqualTo(new Outcome.Executed(CREATED, true));
            assertThat(manager.begun).as("the first request's transaction").hasValue(1);
            manager.begun.set(0);

            Outcome replay = engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                executions.incrementAndGet();
                return CREATED;
            });

            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(((Decision.Replay) replay).response().body()).isEqualTo(CREATED.body());
            assertThat(executions).hasValue(1);
            assertThat(manager.begun).as("Spring transactions begun by the replay").hasValue(transactions);
            assertThat(store.findsCompleted()).isEqualTo(readFirst);
        } finally {
            store.close();
        }
    }

    @ParameterizedTest
    @CsvSource({"IN_BUSINESS_TRANSACTION", "SEPARATE_TRANSACTION"})
    void insideASpringTransactionTheStoreReadsNothingFirstAndTheReplayJoinsIt(ClaimMode mode) {
        CountingTransactionManager manager = new CountingTransactionManager(postgres);
        TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(postgres).tableName(table)
                .createTableIfMissing(true).claimMode(mode)
                .transactionBoundary(new SpringTransactionBoundary(manager, postgres)).buildTransactional();
        IdempotencyKey key = IdempotencyKey.of("rf-" + UUID.randomUUID());
        try (Idempotency engine = Idempotency.create(store)) {
            engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> CREATED);
            manager.begun.set(0);

            Outcome replay = new TransactionTemplate(manager).execute(status -> {
                assertThat(store.findsCompleted()).isFalse();
                return engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> CREATED);
            });

            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(manager.begun).as("the outer transaction only").hasValue(1);
        } finally {
            store.close();
        }
    }
}
