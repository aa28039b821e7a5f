package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.test.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A renewal stuck behind a lock (a slow or busy database) gives up within its own deadline
 * instead of holding a renewal thread past the lease it is meant to keep. An interrupt does not
 * stop a JDBC call that waits on the server; the statement's own timeout does.
 */
class RenewDeadlineTest {

    abstract static class OnDatabase {
        abstract DataSource dataSource();

        @Test
        void aRenewalBlockedByALockedRowFailsWithinItsDeadlineInsteadOfHanging() throws Exception {
            String table = Tables.unique("semel_renew");
            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource()).tableName(table)
                    .createTableIfMissing(true).build()) {
                Instant now = Instant.now();
                ClaimRequest claim = new ClaimRequest("r-" + System.nanoTime(), "k", "s", new byte[32], "owner", 7,
                        now.plusSeconds(3), now.plusSeconds(3600), now);
                assertThat(store.claim(claim)).isInstanceOf(ClaimResult.Claimed.class);
                try (Connection locker = dataSource().getConnection()) {
                    locker.setAutoCommit(false);
                    try (PreparedStatement lock = locker.prepareStatement(
                            "UPDATE " + table + " SET lease_owner = lease_owner WHERE record_id = ?")) {
                        lock.setString(1, claim.recordId());
                        assertThat(lock.executeUpdate()).isEqualTo(1);
                    }
                    Instant later = Instant.now();
                    // on another thread, so that a renewal that waits forever fails the test instead of hanging it
                    CompletableFuture<Boolean> renewal = CompletableFuture.supplyAsync(
                            () -> store.renew(claim.recordId(), 7, later.plusSeconds(3), later));
                    try {
                        assertThatThrownBy(() -> renewal.get(20, TimeUnit.SECONDS))
                                .isInstanceOf(ExecutionException.class)
                                .hasCauseInstanceOf(IdempotencyStoreException.class);
                    } finally {
                        locker.rollback();
                    }
                }
            } finally {
                Tables.drop(dataSource(), table);
            }
        }
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }
    }

}
