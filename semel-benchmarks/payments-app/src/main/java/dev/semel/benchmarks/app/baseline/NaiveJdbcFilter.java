package dev.semel.benchmarks.app.baseline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * BASELINE (not Semel): two autocommit statements per new key ({@code INSERT ... ON CONFLICT DO
 * NOTHING}, then {@code UPDATE} with the answer), two per replay (the insert that finds the
 * key, then a {@code SELECT}), on HikariCP.
 */
final class NaiveJdbcFilter extends NaiveFilter {
    private final DataSource dataSource;

    NaiveJdbcFilter(DataSource dataSource) {
        this.dataSource = dataSource;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS naive_idempotency (idempotency_key varchar(255) PRIMARY KEY,"
                    + " status int, content_type varchar(255), body bytea)");
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create the baseline's table", e);
        }
    }

    @Override
    Stored claim(String key) {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO naive_idempotency (idempotency_key) VALUES (?) ON CONFLICT DO NOTHING")) {
                insert.setString(1, key);
                if (insert.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT status, content_type, body FROM naive_idempotency WHERE idempotency_key = ?")) {
                select.setString(1, key);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next() || rs.getObject(1) == null) {
                        return Stored.RUNNING;
                    }
                    return new Stored(rs.getInt(1), rs.getString(2), rs.getBytes(3));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    void store(String key, Stored answer) {
        try (Connection c = dataSource.getConnection(); PreparedStatement update = c.prepareStatement(
                "UPDATE naive_idempotency SET status = ?, content_type = ?, body = ? WHERE idempotency_key = ?")) {
            update.setInt(1, answer.status());
            update.setString(2, answer.contentType());
            update.setBytes(3, answer.body());
            update.setString(4, key);
            update.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
