package dev.semel.jdbc;

import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.jdbc.TestDatabases;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;

/** The store contract with encryption at rest on, on PostgreSQL and H2, plain and transactional. */
class EncryptedJdbcStoreContractTests {
    static final ResponseEncryption ENCRYPTION = ResponseEncryption.builder()
            .key("old", "hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
            .key("current", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")
            .activeKey("current")
            .build();
    private static final Map<String, JdbcIdempotencyStore> STORES = new ConcurrentHashMap<>();

    abstract static class OnDatabase extends IdempotencyStoreContract {
        abstract DataSource dataSource();

        boolean transactional() {
            return false;
        }

        @Override
        protected IdempotencyStore createStore() {
            return ENCRYPTION.protect(STORES.computeIfAbsent(getClass().getName(), n -> {
                JdbcIdempotencyStore.Builder b = JdbcIdempotencyStore.builder(dataSource())
                        .tableName(Tables.unique("semel_enc"))
                        .createTableIfMissing(true)
                        .useDatabaseClock(false); // the contract moves the caller's clock
                return transactional() ? b.buildTransactional() : b.build();
            }));
        }

        @Override
        protected boolean wakesWaiters() {
            return false; // JDBC has no wake-up channel: waiters poll
        }

        @Override
        protected int largeBodySize() {
            return 4 * 1024 * 1024;
        }
    }

    @AfterAll
    static void dropTables() {
        STORES.values().forEach(s -> Tables.drop(s.dataSource, s.tableName()));
        STORES.clear();
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }

    @Nested
    class PostgreSqlTransactional extends PostgreSql {
        @Override
        boolean transactional() {
            return true;
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-enc");
        }
    }

    @Nested
    class H2Transactional extends H2 {
        @Override
        boolean transactional() {
            return true;
        }
    }
}
