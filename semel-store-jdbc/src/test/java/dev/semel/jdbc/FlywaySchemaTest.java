package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped PostgreSQL script works as a Flyway migration, as docs/jdbc.md tells users to use it. */
class FlywaySchemaTest {

    @Test
    void shippedScriptCopiedIntoAMigrationCreatesATableTheStoreUses(@TempDir Path migrations) throws Exception {
        DataSource dataSource = TestDatabases.postgres();
        String schema = Tables.unique("semel_flyway");
        Files.writeString(migrations.resolve("V1__semel_idempotency.sql"),
                JdbcIdempotencyStore.schemaScript(JdbcDialect.POSTGRESQL), StandardCharsets.UTF_8);
        try {
            Flyway flyway = Flyway.configure().dataSource(dataSource).schemas(schema).createSchemas(true)
                    .locations("filesystem:" + migrations).load();
            assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
            assertThat(flyway.migrate().migrationsExecuted).isZero();

            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource).useDatabaseClock(false).schemaName(schema).build()) {
                Instant now = Instant.parse("2031-01-01T00:00:00Z");
                String id = Scope.of("flyway", "op").recordId(IdempotencyKey.of("k1"));
                ClaimResult claim = store.claim(new ClaimRequest(id, "k1", "flyway", new byte[32], "o", 5,
                        now.plusSeconds(30), now.plusSeconds(3600), now));
                assertThat(claim).isEqualTo(new ClaimResult.Claimed(5, false));
                assertThat(store.complete(id, 5, StoredResponse.of(200, List.of(), new byte[] {1}),
                        now.plusSeconds(3600), now)).isTrue();
                assertThat(store.find(id, now).orElseThrow().response().body()).containsExactly(1);
            }
        } finally {
            Tables.execute(dataSource, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
