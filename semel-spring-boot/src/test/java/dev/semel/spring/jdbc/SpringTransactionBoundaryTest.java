package dev.semel.spring.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.semel.IdempotencyStoreException;
import java.sql.Statement;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.support.JdbcTransactionManager;

/**
 * What the boundary throws when the work fails: the work's own exception after a rollback, but
 * a store failure (a 503 for the filter, not an unknown error) when the database went away and
 * Spring's rollback failure replaced the work's exception, as when H2 closes itself at JVM exit
 * while Spring Boot's graceful shutdown lets the requests in flight finish.
 */
class SpringTransactionBoundaryTest {
    private final JdbcDataSource dataSource = new JdbcDataSource();
    private final SpringTransactionBoundary boundary;

    SpringTransactionBoundaryTest() {
        dataSource.setURL("jdbc:h2:mem:boundary-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        // Spring Boot's choice: it translates a failed rollback into a DataAccessException,
        // which is not a TransactionException
        boundary = new SpringTransactionBoundary(new JdbcTransactionManager(dataSource), dataSource);
    }

    @Test
    void theWorksOwnFailureComesBackAfterTheRollback() {
        IllegalStateException failure = new IllegalStateException("the handler failed");

        assertThatThrownBy(() -> boundary.inTransaction(() -> {
            throw failure;
        })).isSameAs(failure);
    }

    @Test
    void aRollbackThatFailsBecauseTheDatabaseWentAwayIsAStoreFailureThatKeepsTheWorksFailure() {
        IllegalStateException failure = new IllegalStateException("the handler failed");

        Throwable thrown = catchThrowable(() -> boundary.inTransaction(() -> {
            try (Statement s = boundary.currentConnection().createStatement()) {
                s.execute("SHUTDOWN IMMEDIATELY"); // the database closes under the transaction
            }
            throw failure;
        }));

        assertThat(thrown).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("could not roll back");
        assertThat(thrown.getSuppressed()).containsExactly(failure);
    }
}
