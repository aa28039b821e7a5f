package dev.semel.jdbc;

import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.jdbc.TestDatabases;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;

/**
 * The store contract on every database, for the plain store and the transactional one, with the
 * read-first claim (the default) and without it.
 */
class JdbcStoreContractTests {
    private static final int SIXTEEN_MIB = 16 * 1024 * 1024;

    /** One table per database and store kind, created on first use and dropped at the end. */
    abstract static class OnDatabase extends IdempotencyStoreContract {
        private static final java.util.Map<String, JdbcIdempotencyStore> STORES =
                new java.util.concurrent.ConcurrentHashMap<>();

        abstract DataSource dataSource();

        boolean transactional() {
            return false;
        }

        /** Whether claims start with the read of a completed record ({@code readFirst}, on by default). */
        boolean readFirst() {
            return true;
        }

        /** The contract moves time with {@code now}, so this store judges time by the caller's clock. */
        @Override
        protected IdempotencyStore createStore() {
            return STORES.computeIfAbsent(getClass().getName(), n -> {
                JdbcIdempotencyStore.Builder b = JdbcIdempotencyStore.builder(dataSource())
                        .tableName(Tables.unique("semel_tck"))
                        .createTableIfMissing(true)
                        .readFirst(readFirst())
                        .useDatabaseClock(false);
                return transactional() ? b.buildTransactional() : b.build();
            });
        }

        /** The production setup, on the same table: the database's clock judges leases and expiry. */
        @Override
        protected IdempotencyStore createStoreOnItsOwnClock() {
            JdbcIdempotencyStore callerClock = (JdbcIdempotencyStore) createStore();
            return STORES.computeIfAbsent(getClass().getName() + "/own-clock", n -> {
                JdbcIdempotencyStore.Builder b = JdbcIdempotencyStore.builder(dataSource())
                        .tableName(callerClock.tableName())
                        .readFirst(readFirst());
                return transactional() ? b.buildTransactional() : b.build();
            });
        }

        @Override
        protected int largeBodySize() {
            return SIXTEEN_MIB;
        }

        /** The JDBC store has no change notification: waiting duplicates rely on the engine's polling. */
        @Override
        protected boolean wakesWaiters() {
            return false;
        }

        static void dropAll() {
            STORES.values().stream().filter(s -> !s.usesOwnClock())
                    .forEach(s -> Tables.drop(s.dataSource, s.tableName()));
            STORES.clear();
        }
    }

    @AfterAll
    static void dropTables() {
        OnDatabase.dropAll();
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }

    @Nested
    class PostgreSqlTransactional extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }

        @Override
        boolean transactional() {
            return true;
        }
    }

    @Nested
    class PostgreSqlWithoutReadFirst extends PostgreSql {
        @Override
        boolean readFirst() {
            return false;
        }
    }

    @Nested
    class PostgreSqlTransactionalWithoutReadFirst extends PostgreSqlTransactional {
        @Override
        boolean readFirst() {
            return false;
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }

        @Override
        protected int largeBodySize() {
            // the body and the other columns must fit the server's max_allowed_packet
            long packet = Tables.count(dataSource(), "SELECT @@max_allowed_packet");
            return (int) Math.min(SIXTEEN_MIB, packet - 1024 * 1024);
        }
    }

    @Nested
    class MariaDbTransactional extends MariaDb {
        @Override
        boolean transactional() {
            return true;
        }
    }

    @Nested
    class MariaDbTransactionalWithoutReadFirst extends MariaDbTransactional {
        @Override
        boolean readFirst() {
            return false;
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-tck");
        }
    }

    @Nested
    class H2Transactional extends H2 {
        @Override
        boolean transactional() {
            return true;
        }
    }

    @Nested
    class H2WithoutReadFirst extends H2 {
        @Override
        boolean readFirst() {
            return false;
        }
    }

    @Nested
    class Sqlite extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.sqlite("semel-jdbc-tck");
        }
    }

    @Nested
    class SqliteWithoutReadFirst extends Sqlite {
        @Override
        boolean readFirst() {
            return false;
        }
    }
}
