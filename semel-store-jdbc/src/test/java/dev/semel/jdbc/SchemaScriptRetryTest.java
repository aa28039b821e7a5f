package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.test.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * The schema script is run again only when it met another instance creating the same objects;
 * a genuine error (here a syntax error) fails at the first attempt instead of being retried.
 */
class SchemaScriptRetryTest {
    private final CountingDataSource h2 = new CountingDataSource(TestDatabases.h2("schema-retry"));
    private final RecordTable table = new RecordTable(JdbcDialect.H2, null, "semel_schema_retry", 1024);

    @Test
    void aGenuineErrorFailsAtOnce() throws Exception {
        try (Connection c = h2.dataSource().getConnection()) {
            h2.takeStatements();
            assertThatThrownBy(() -> table.runScriptRetryingRaces(c, "CREATE TABLLE broken (id int);"))
                    .isInstanceOf(SQLException.class);
            assertThat(h2.takeStatements()).as("statements sent").isEqualTo(1);
        }
    }

    @Test
    void anObjectCreatedMeanwhileOrAnIntegrityViolationCountsAsARace() {
        assertThat(RecordTable.isCreationRace(new SQLException("dup", "23505"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("exists", "42P07"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("exists", "42S01"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("deadlock", "40P01"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("wrapped", "HY000",
                new SQLException("dup", "23505")))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("[SQLITE_BUSY] The database file is locked"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("General error: \"java.lang.RuntimeException: object"
                + " already exists: SEMEL_EXPIRES_IDX\"", "HY000"))).isTrue();
        assertThat(RecordTable.isCreationRace(new SQLException("syntax", "42601"))).isFalse();
        assertThat(RecordTable.isCreationRace(new SQLException("permission denied", "42501"))).isFalse();
        assertThat(RecordTable.isCreationRace(new SQLException("no state"))).isFalse();
    }
}
