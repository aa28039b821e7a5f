package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * How each dialect reads the errors its driver raises: which mean "waited too long for
 * another transaction's lock" (a duplicate then answers "in progress" instead of failing),
 * which are a deadlock or serialisation failure worth running again, and which a duplicate
 * key. The codes are the ones the databases document; an error further down the chain
 * ({@link SQLException#getNextException()}) counts too.
 */
class JdbcDialectErrorsTest {

    private static SQLException state(String sqlState) {
        return new SQLException("error " + sqlState, sqlState);
    }

    private static SQLException code(int errorCode) {
        return new SQLException("error " + errorCode, "HY000", errorCode);
    }

    private static SQLException chained(SQLException first, SQLException next) {
        first.setNextException(next);
        return first;
    }

    @Test
    void postgreSqlLockTimeoutsAreTheStatementTimeoutAndLockNotAvailable() {
        JdbcDialect d = JdbcDialect.POSTGRESQL;
        assertThat(d.isTimeout(state("57014"))).isTrue();
        assertThat(d.isTimeout(state("55P03"))).isTrue();
        assertThat(d.isTimeout(chained(state("25P02"), state("55P03")))).isTrue();
        assertThat(d.isTimeout(state("40001"))).isFalse();
        assertThat(d.isTimeout(state("23505"))).isFalse();
        assertThat(d.isTimeout(new SQLException("no state"))).isFalse();
    }

    @Test
    void mySqlLockTimeoutsAreTheLockWaitAndTheStatementTimeLimits() {
        JdbcDialect d = JdbcDialect.MYSQL;
        assertThat(d.isTimeout(code(1205))).isTrue();
        assertThat(d.isTimeout(code(1969))).isTrue();
        assertThat(d.isTimeout(code(3024))).isTrue();
        assertThat(d.isTimeout(state("70100"))).isTrue();
        assertThat(d.isTimeout(chained(code(1062), code(1205)))).isTrue();
        assertThat(d.isTimeout(code(1213))).isFalse();
        assertThat(d.isTimeout(chained(code(1062), state("23000")))).isFalse();
    }

    @Test
    void h2LockTimeoutsAreTheLockTimeoutAndTheCancelledStatement() {
        JdbcDialect d = JdbcDialect.H2;
        assertThat(d.isTimeout(state("HYT00"))).isTrue();
        assertThat(d.isTimeout(state("57014"))).isTrue();
        assertThat(d.isTimeout(code(50200))).isTrue();
        assertThat(d.isTimeout(chained(state("90131"), state("HYT00")))).isTrue();
        assertThat(d.isTimeout(state("23505"))).isFalse();
        assertThat(d.isTimeout(code(90131))).isFalse();
    }

    @Test
    void sqliteLockTimeoutsAreBusyAndLocked() {
        JdbcDialect d = JdbcDialect.SQLITE;
        assertThat(d.isTimeout(code(5))).isTrue();
        assertThat(d.isTimeout(code(6))).isTrue();
        assertThat(d.isTimeout(code(19))).isFalse();
        assertThat(d.isTimeout(code(1))).isFalse();
    }

    @Test
    void aDriversTimeoutExceptionIsATimeoutOnEveryDatabase() {
        for (JdbcDialect d : JdbcDialect.values()) {
            assertThat(d.isTimeout(new SQLTimeoutException("query timed out"))).as(d.name()).isTrue();
        }
    }

    @Test
    void deadlocksAndSerialisationFailuresAreWorthRunningAgainAndNothingElseIs() {
        assertThat(JdbcDialect.isTransient(state("40001"))).isTrue();
        assertThat(JdbcDialect.isTransient(state("40P01"))).isTrue();
        assertThat(JdbcDialect.isTransient(code(1213))).isTrue();
        assertThat(JdbcDialect.isTransient(chained(state("25P02"), state("40P01")))).isTrue();
        assertThat(JdbcDialect.isTransient(state("23505"))).isFalse();
        assertThat(JdbcDialect.isTransient(state("57014"))).isFalse();
        assertThat(JdbcDialect.isTransient(code(1205))).isFalse();
        assertThat(JdbcDialect.isTransient(new SQLException("no state"))).isFalse();
    }

    @Test
    void aDuplicateKeyIsAnIntegrityConstraintViolation() {
        assertThat(JdbcDialect.isDuplicateKey(state("23505"))).isTrue();
        assertThat(JdbcDialect.isDuplicateKey(state("23000"))).isTrue();
        assertThat(JdbcDialect.isDuplicateKey(state("42P01"))).isFalse();
        assertThat(JdbcDialect.isDuplicateKey(new SQLException("no state"))).isFalse();
    }
}
