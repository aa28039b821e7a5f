package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What an encrypted record leaves in the database row: no byte of the response in plaintext. */
class EncryptedRowTest {
    private static final String BODY_SECRET = "DE89370400440532013000";
    private static final String HEADER_NAME_SECRET = "X-Customer-Email";
    private static final String HEADER_VALUE_SECRET = "alice@example.com";

    static DataSource dataSource(String database) {
        return database.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.h2("semel-enc-row");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void theRawRowHoldsNoPlaintextOfTheBodyOrHeadersYetTheStoreReplaysThem(String database) throws Exception {
        DataSource dataSource = dataSource(database);
        JdbcIdempotencyStore jdbc = JdbcIdempotencyStore.builder(dataSource)
                .tableName(Tables.unique("semel_enc_row")).createTableIfMissing(true).build();
        try {
            IdempotencyStore store = EncryptedJdbcStoreContractTests.ENCRYPTION.protect(jdbc);
            String recordId = Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of("order-42"));
            Instant now = Instant.now();
            ClaimResult claimed = store.claim(new ClaimRequest(recordId, "order-42", "alice POST /payments",
                    Fingerprint.of(new byte[] {1}).bytes(), "owner", 7, now.plusSeconds(30),
                    now.plus(Duration.ofHours(1)), now));
            long token = ((ClaimResult.Claimed) claimed).fencingToken();
            StoredResponse response = StoredResponse.of(201,
                    List.of(new Header("Content-Type", "application/json"),
                            new Header(HEADER_NAME_SECRET, HEADER_VALUE_SECRET)),
                    ("{\"iban\":\"" + BODY_SECRET + "\"}").getBytes(StandardCharsets.UTF_8));
            assertThat(store.complete(recordId, token, response, now.plus(Duration.ofHours(1)), now)).isTrue();

            List<String> columns = rawRow(dataSource, jdbc.tableName(), recordId);
            assertThat(columns).isNotEmpty();
            for (String column : columns) {
                assertThat(column).doesNotContain(BODY_SECRET).doesNotContain(HEADER_NAME_SECRET)
                        .doesNotContain(HEADER_VALUE_SECRET).doesNotContain("application/json");
            }
            // the test would see plaintext if there were any: the same row without encryption has it
            assertThat(String.join("|", rawRowOf(jdbc, dataSource, response))).contains(BODY_SECRET)
                    .contains(HEADER_VALUE_SECRET);
            assertThat(store.find(recordId, now).orElseThrow().response()).isEqualTo(response);
        } finally {
            Tables.drop(dataSource, jdbc.tableName());
        }
    }

    private static List<String> rawRowOf(JdbcIdempotencyStore jdbc, DataSource dataSource, StoredResponse response)
            throws SQLException {
        String recordId = Scope.of("bob", "POST /payments").recordId(IdempotencyKey.of("order-43"));
        Instant now = Instant.now();
        ClaimResult claimed = jdbc.claim(new ClaimRequest(recordId, "order-43", "bob POST /payments",
                Fingerprint.of(new byte[] {1}).bytes(), "owner", 7, now.plusSeconds(30), now.plus(Duration.ofHours(1)),
                now));
        jdbc.complete(recordId, ((ClaimResult.Claimed) claimed).fencingToken(), response,
                now.plus(Duration.ofHours(1)), now);
        return rawRow(dataSource, jdbc.tableName(), recordId);
    }

    /** Every column of the row as text; binary columns as ISO-8859-1, so any ASCII in them shows. */
    private static List<String> rawRow(DataSource dataSource, String table, String recordId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table + " WHERE record_id = ?")) {
            ps.setString(1, recordId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                List<String> columns = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    Object value = rs.getObject(i);
                    if (value instanceof java.sql.Blob blob) {
                        value = blob.getBytes(1, (int) blob.length());
                    } else if (value instanceof java.sql.Clob clob) {
                        value = clob.getSubString(1, (int) clob.length());
                    }
                    columns.add(value instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1)
                            : String.valueOf(value));
                }
                return columns;
            }
        }
    }
}
