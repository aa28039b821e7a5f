package dev.semel.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.util.Collections;
import java.util.Locale;

/**
 * The SQL dialects the JDBC store speaks. Every difference between databases lives here:
 * how a row is inserted only if absent (and whether the same statement can return the row in
 * the way), how a bounded batch is deleted, which errors mean "waited too long for a lock",
 * and which schema script applies.
 *
 * <p>The store picks the dialect from the connection's metadata unless one is set
 * explicitly ({@link JdbcIdempotencyStore.Builder#dialect}).
 */
public enum JdbcDialect {
    /**
     * PostgreSQL 12 or later: the claim is one statement, {@code INSERT … ON CONFLICT DO NOTHING}
     * in a {@code WITH} clause that also returns the existing row; purge with {@code SKIP LOCKED}.
     */
    POSTGRESQL("postgresql") {
        @Override
        String insertIfAbsent(String table, String columns, String placeholders) {
            return "INSERT INTO " + table + " (" + columns + ") VALUES (" + placeholders
                    + ") ON CONFLICT (record_id) DO NOTHING";
        }

        @Override
        String insertOrSelect(String table, String columns, String placeholders, String selectColumns) {
            // DO NOTHING takes no lock on the existing row (DO UPDATE would); the SELECT reads
            // the statement's snapshot, which cannot see the row the INSERT just added, and
            // NOT EXISTS keeps it quiet when a concurrent delete let the INSERT through
            String nulls = String.join(", ", Collections.nCopies(selectColumns.split(",").length, "NULL"));
            return "WITH ins AS (" + insertIfAbsent(table, columns, placeholders) + " RETURNING record_id)"
                    + " SELECT FALSE AS inserted, " + selectColumns + " FROM " + table
                    + " WHERE record_id = ? AND NOT EXISTS (SELECT 1 FROM ins)"
                    + " UNION ALL SELECT TRUE, " + nulls + " FROM ins";
        }

        @Override
        String purge(String table, String condition) {
            return "DELETE FROM " + table + " WHERE record_id IN (SELECT record_id FROM " + table + " WHERE "
                    + condition + " LIMIT ? FOR UPDATE SKIP LOCKED)";
        }

        @Override
        String nowMicros() {
            return "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000000 AS BIGINT)";
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            // 57014 query_canceled (statement timeout), 55P03 lock_not_available
            return hasState(e, "57014") || hasState(e, "55P03");
        }
    },
    /**
     * MySQL 8 and MariaDB 10.5 or later: {@code INSERT IGNORE}, purge with {@code DELETE … LIMIT}.
     * No single-statement claim: MariaDB's {@code INSERT … RETURNING} returns nothing for an
     * ignored row, and MySQL has no {@code RETURNING}, so a claim reads first.
     */
    MYSQL("mysql") {
        @Override
        String insertIfAbsent(String table, String columns, String placeholders) {
            return "INSERT IGNORE INTO " + table + " (" + columns + ") VALUES (" + placeholders + ")";
        }

        @Override
        String purge(String table, String condition) {
            return "DELETE FROM " + table + " WHERE " + condition + " LIMIT ?";
        }

        @Override
        String nowMicros() {
            return "CAST(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(6)) * 1000000 AS SIGNED)";
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            // 1205 lock wait timeout, 1969 MariaDB max_statement_time, 3024 MySQL max_execution_time
            for (SQLException s = e; s != null; s = s.getNextException()) {
                int code = s.getErrorCode();
                if (code == 1205 || code == 1969 || code == 3024 || "70100".equals(s.getSQLState())) {
                    return true;
                }
            }
            return false;
        }
    },
    /** H2 2.x: a plain insert whose duplicate-key error counts as "already there". */
    H2("h2") {
        @Override
        String insertIfAbsent(String table, String columns, String placeholders) {
            return "INSERT INTO " + table + " (" + columns + ") VALUES (" + placeholders + ")";
        }

        @Override
        String purge(String table, String condition) {
            return "DELETE FROM " + table + " WHERE " + condition + " FETCH FIRST ? ROWS ONLY";
        }

        @Override
        String nowMicros() {
            return "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000000 AS BIGINT)";
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            // HYT00 lock timeout, 57014 statement cancelled by the query timeout
            return hasState(e, "HYT00") || hasState(e, "57014") || e.getErrorCode() == 50200;
        }
    },
    /** SQLite 3.24 or later: {@code INSERT OR IGNORE}; writes serialise on the database lock. */
    SQLITE("sqlite") {
        @Override
        String insertIfAbsent(String table, String columns, String placeholders) {
            return "INSERT OR IGNORE INTO " + table + " (" + columns + ") VALUES (" + placeholders + ")";
        }

        @Override
        String nowMicros() {
            return "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";
        }

        @Override
        String keyPrefix() {
            // LIKE is case-insensitive in SQLite; substr compares exactly (keys are ASCII)
            return "substr(idem_key, 1, ?) = ?";
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            return e.getErrorCode() == 5 || e.getErrorCode() == 6; // SQLITE_BUSY, SQLITE_LOCKED
        }
    };

    private final String scriptName;

    JdbcDialect(String scriptName) {
        this.scriptName = scriptName;
    }

    /**
     * Recognises the database behind a connection.
     *
     * @param connection an open connection
     * @return the dialect
     * @throws SQLException if the metadata cannot be read
     * @throws IllegalArgumentException if the database is not supported
     */
    public static JdbcDialect detect(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        String product = meta.getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return POSTGRESQL;
        }
        if (product.contains("mysql") || product.contains("mariadb")) {
            return MYSQL;
        }
        if (product.equals("h2")) {
            return H2;
        }
        if (product.contains("sqlite")) {
            return SQLITE;
        }
        throw new IllegalArgumentException("Semel's JDBC store does not support '" + meta.getDatabaseProductName()
                + "' yet; supported: PostgreSQL, MySQL/MariaDB, H2, SQLite");
    }

    /**
     * The classpath location of this dialect's schema script.
     *
     * @return e.g. {@code META-INF/semel/schema/postgresql.sql}
     */
    public String schemaResource() {
        return "META-INF/semel/schema/" + scriptName + ".sql";
    }

    /** An insert that adds nothing, without an error, when the record id exists (H2 excepted). */
    abstract String insertIfAbsent(String table, String columns, String placeholders);

    /**
     * One statement that inserts the record if absent and otherwise returns the existing row,
     * taking no lock on it and raising no error; {@code null} where the database has no such
     * statement (then a claim reads first and inserts on a miss).
     *
     * <p>Parameters: the insert's placeholders, then the record id once more. Result: no row if
     * the existing row is not visible to the statement (committed after it began); else one row
     * whose boolean column {@code inserted} says whether the insert added it, with the
     * {@code selectColumns} of the existing row when it did not.
     */
    String insertOrSelect(String table, String columns, String placeholders, String selectColumns) {
        return null;
    }

    /** Deletes at most {@code ?} rows matching the condition; the limit is the last parameter. */
    String purge(String table, String condition) {
        return "DELETE FROM " + table + " WHERE record_id IN (SELECT record_id FROM " + table + " WHERE "
                + condition + " LIMIT ?)";
    }

    /**
     * A query of one row and one column: the database's current time ({@code CURRENT_TIMESTAMP})
     * in microseconds since the epoch, by which the store judges leases and expiry.
     */
    final String currentTimeMicros() {
        return "SELECT " + nowMicros();
    }

    /**
     * An SQL expression of the database's current time in microseconds since the epoch, to
     * compare with the {@code BIGINT} time columns inside a statement (the read-first claim
     * judges expiry by it, with no clock reading of its own).
     */
    abstract String nowMicros();

    /** A case-sensitive "key starts with" predicate taking (prefix length, prefix) or (like pattern). */
    String keyPrefix() {
        return "idem_key LIKE ? ESCAPE '!'";
    }

    /** Whether the predicate of {@link #keyPrefix()} takes a length and the prefix (else a LIKE pattern). */
    boolean keyPrefixBySubstring() {
        return this == SQLITE;
    }

    /** Whether an error means a statement gave up waiting for another transaction's lock. */
    abstract boolean isLockTimeout(SQLException e);

    /** Whether any error in the chain means the lock wait ran out. */
    final boolean isTimeout(SQLException e) {
        return e instanceof SQLTimeoutException || isLockTimeout(e);
    }

    /** Whether an error is a duplicate key (only a plain insert raises it). */
    static boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("23");
    }

    /** Whether a transaction was chosen as a deadlock victim or failed serialisation: worth retrying. */
    static boolean isTransient(SQLException e) {
        return hasState(e, "40001") || hasState(e, "40P01") || e.getErrorCode() == 1213;
    }

    private static boolean hasState(SQLException e, String state) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (state.equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
