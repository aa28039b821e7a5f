package dev.semel.jdbc;

import dev.semel.IdempotencyStoreException;
import dev.semel.StoreCapacityExceededException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every SQL statement of the store, each run on a connection the caller chooses (its own
 * autocommit one, or the business transaction's). Every state transition is one statement
 * whose {@code WHERE} clause carries the precondition (fencing token, state, expiry): a
 * concurrent change makes it match no row, never overwrite.
 *
 * <p>Times are kept as microseconds since the epoch in {@code BIGINT} columns: exact on every
 * database, free of time-zone conversions, and ordered.
 */
final class RecordTable {
    static final String IN_PROGRESS = "IN_PROGRESS";
    static final String COMPLETED = "COMPLETED";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final String COLUMNS = "record_id, idem_key, scope, state, fingerprint, fencing_token, "
            + "lease_owner, lease_deadline, created_at, completed_at, expires_at, status, headers, body, body_retained";
    private static final String INSERT_COLUMNS = "record_id, idem_key, scope, state, fingerprint, fencing_token, "
            + "lease_owner, lease_deadline, created_at, expires_at";
    /** How often one claim retries after losing a race between its statements. */
    private static final int CLAIM_ATTEMPTS = 16;
    /** How often the schema script runs before its error is final (see runScriptRetryingRaces). */
    private static final int SCRIPT_ATTEMPTS = 5;

    private final JdbcDialect dialect;
    private final String table;
    private final int maxBodyBytes;
    private final String select;
    private final String selectLive;
    /** The read-first claim's query: the record if completed and unexpired by the database's clock. */
    private final String selectCompleted;
    /** The same, unexpired by a time the caller binds (a store judging time by the caller's clock). */
    private final String selectCompletedAt;
    private final String insert;
    /** Insert or read the existing row in one statement, or null where the dialect has none. */
    private final String insertOrSelect;
    private final String replaceExpired;
    private final String takeover;
    private final String complete;
    private final String release;
    private final String renew;
    private final String delete;
    private final String purge;

    RecordTable(JdbcDialect dialect, String schema, String table, int maxBodyBytes) {
        this.dialect = dialect;
        this.table = qualified(schema, table);
        this.maxBodyBytes = maxBodyBytes;
        String t = this.table;
        this.select = "SELECT " + COLUMNS + " FROM " + t + " WHERE record_id = ?";
        this.selectLive = select + " AND expires_at > ?";
        this.selectCompleted = select + " AND state = '" + COMPLETED + "' AND expires_at > " + dialect.nowMicros();
        this.selectCompletedAt = select + " AND state = '" + COMPLETED + "' AND expires_at > ?";
        String placeholders = "?, ?, ?, '" + IN_PROGRESS + "', ?, ?, ?, ?, ?, ?";
        this.insert = dialect.insertIfAbsent(t, INSERT_COLUMNS, placeholders);
        this.insertOrSelect = dialect.insertOrSelect(t, INSERT_COLUMNS, placeholders, COLUMNS);
        this.replaceExpired = "UPDATE " + t + " SET idem_key = ?, scope = ?, state = '" + IN_PROGRESS
                + "', fingerprint = ?, fencing_token = ?, lease_owner = ?, lease_deadline = ?, created_at = ?,"
                + " completed_at = NULL, expires_at = ?, status = NULL, headers = NULL, body = NULL,"
                + " body_retained = NULL WHERE record_id = ? AND fencing_token = ? AND expires_at <= ?";
        this.takeover = "UPDATE " + t + " SET fencing_token = fencing_token + 1, lease_owner = ?, lease_deadline = ?"
                + " WHERE record_id = ? AND fencing_token = ? AND state = '" + IN_PROGRESS + "'"
                + " AND lease_deadline <= ? AND expires_at > ?";
        this.complete = "UPDATE " + t + " SET state = '" + COMPLETED + "', completed_at = ?, expires_at = ?,"
                + " status = ?, headers = ?, body = ?, body_retained = ?"
                + " WHERE record_id = ? AND fencing_token = ? AND state = '" + IN_PROGRESS + "' AND expires_at > ?";
        this.release = "DELETE FROM " + t + " WHERE record_id = ? AND fencing_token = ? AND state = '"
                + IN_PROGRESS + "'";
        this.renew = "UPDATE " + t + " SET lease_deadline = ? WHERE record_id = ? AND fencing_token = ?"
                + " AND state = '" + IN_PROGRESS + "' AND expires_at > ?";
        this.delete = "DELETE FROM " + t + " WHERE record_id = ?";
        this.purge = dialect.purge(t, "expires_at <= ? OR (state = '" + IN_PROGRESS + "' AND lease_deadline <= ?)");
    }

    static String checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at"
                    + " most 63 characters), was '" + name + "'");
        }
        return name;
    }

    private static String qualified(String schema, String table) {
        checkName("tableName", table);
        return schema == null ? table : checkName("schemaName", schema) + "." + table;
    }

    String table() {
        return table;
    }

    JdbcDialect dialect() {
        return dialect;
    }

    // ---------------------------------------------------------------- claim

    /**
     * Whether the dialect claims in one statement that also returns the existing row, so that
     * starting with the insert costs a replay nothing extra.
     */
    boolean claimsInOneStatement() {
        return insertOrSelect != null;
    }

    /**
     * The read-first claim's one statement: a plain {@code SELECT} by primary key (no lock, no
     * write, no transaction of its own in autocommit) that returns the record only when it is
     * {@code COMPLETED} and unexpired. Expiry is judged in the statement itself, by the
     * database's clock, or by {@code callerNow} when the store judges time by its callers'.
     *
     * @param callerNow {@code null} to judge expiry by the database's clock
     * @return the completed record, or {@code null} when absent, in progress or expired
     */
    IdempotencyRecord readCompleted(Connection c, String recordId, Instant callerNow) throws SQLException {
        return read(c, callerNow == null ? selectCompleted : selectCompletedAt, recordId, callerNow);
    }

    /**
     * Claims a record.
     *
     * @param insertFirst start with the insert: inside a business transaction, so that the
     *     insert waits for a concurrent uncommitted claim and the first read sees its outcome,
     *     or where the dialect {@linkplain #claimsInOneStatement() claims in one statement};
     *     otherwise start with a lock-free read so that a replay costs one query
     * @param lockTimeoutSeconds bound on the insert's wait for another transaction, 0 for none
     * @throws LockWaitTimeout if the insert waited longer than allowed
     */
    ClaimResult claim(Connection c, ClaimRequest r, boolean insertFirst, int lockTimeoutSeconds)
            throws SQLException {
        long now = micros(r.now());
        boolean tryInsert = insertFirst;
        for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
            IdempotencyRecord current;
            if (tryInsert && insertOrSelect != null) {
                InsertOrSelect outcome = insertOrSelect(c, r, lockTimeoutSeconds);
                if (outcome.inserted()) {
                    return new ClaimResult.Claimed(r.freshToken(), false);
                }
                // no row: it was committed after the statement's snapshot; a new statement sees it
                current = outcome.existing() != null ? outcome.existing() : read(c, select, r.recordId(), null);
            } else {
                if (tryInsert && insert(c, r, lockTimeoutSeconds)) {
                    return new ClaimResult.Claimed(r.freshToken(), false);
                }
                current = read(c, select, r.recordId(), null);
            }
            tryInsert = true;
            if (current == null) {
                continue;
            }
            if (micros(current.expiresAt()) <= now) {
                if (update(c, replaceExpired, ps -> {
                    ps.setString(1, r.key());
                    ps.setString(2, r.scope());
                    ps.setBytes(3, r.fingerprint());
                    ps.setLong(4, r.freshToken());
                    ps.setString(5, r.owner());
                    ps.setLong(6, micros(r.leaseDeadline()));
                    ps.setLong(7, now);
                    ps.setLong(8, micros(r.expiresAt()));
                    ps.setString(9, r.recordId());
                    ps.setLong(10, current.fencingToken());
                    ps.setLong(11, now);
                }, lockTimeoutSeconds)) {
                    return new ClaimResult.Claimed(r.freshToken(), false);
                }
                continue;
            }
            if (current.state() == RecordState.IN_PROGRESS && micros(current.leaseDeadline()) <= now
                    && Arrays.equals(current.fingerprint(), r.fingerprint())) {
                if (update(c, takeover, ps -> {
                    ps.setString(1, r.owner());
                    ps.setLong(2, micros(r.leaseDeadline()));
                    ps.setString(3, r.recordId());
                    ps.setLong(4, current.fencingToken());
                    ps.setLong(5, now);
                    ps.setLong(6, now);
                }, lockTimeoutSeconds)) {
                    return new ClaimResult.Claimed(current.fencingToken() + 1, true);
                }
                continue;
            }
            return ClaimResult.found(current);
        }
        throw new SQLException("The record " + r.recordId() + " kept changing while it was claimed ("
                + CLAIM_ATTEMPTS + " attempts)", "40001");
    }

    private boolean insert(Connection c, ClaimRequest r, int lockTimeoutSeconds) throws SQLException {
        try {
            return update(c, insert, ps -> bindInsert(ps, r), lockTimeoutSeconds);
        } catch (SQLException e) {
            if (dialect == JdbcDialect.H2 && JdbcDialect.isDuplicateKey(e)) {
                return false; // H2 has no insert-if-absent; its duplicate error leaves the transaction usable
            }
            throw e;
        }
    }

    /** What the one-statement claim saw: it inserted the record, or the row in the way, or (null) none. */
    private record InsertOrSelect(boolean inserted, IdempotencyRecord existing) {
    }

    private InsertOrSelect insertOrSelect(Connection c, ClaimRequest r, int lockTimeoutSeconds) throws SQLException {
        return execute(c, insertOrSelect, ps -> {
            bindInsert(ps, r);
            ps.setString(10, r.recordId());
        }, lockTimeoutSeconds, ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new InsertOrSelect(false, null);
                }
                return rs.getBoolean("inserted") ? new InsertOrSelect(true, null)
                        : new InsertOrSelect(false, toRecord(rs));
            }
        });
    }

    private static void bindInsert(PreparedStatement ps, ClaimRequest r) throws SQLException {
        ps.setString(1, r.recordId());
        ps.setString(2, r.key());
        ps.setString(3, r.scope());
        ps.setBytes(4, r.fingerprint());
        ps.setLong(5, r.freshToken());
        ps.setString(6, r.owner());
        ps.setLong(7, micros(r.leaseDeadline()));
        ps.setLong(8, micros(r.now()));
        ps.setLong(9, micros(r.expiresAt()));
    }

    // ---------------------------------------------------------------- transitions

    boolean complete(Connection c, String recordId, long token, StoredResponse response, Instant expiresAt,
            Instant now) throws SQLException {
        if (response.bodyLength() > maxBodyBytes) {
            throw new StoreCapacityExceededException("The response body of " + response.bodyLength()
                    + " bytes exceeds the JDBC store's maxBodyBytes of " + maxBodyBytes
                    + "; raise it (and the database's limit) or lower the capture limit");
        }
        byte[] headers = encodeHeaders(response.headers());
        byte[] body = response.body();
        return update(c, complete, ps -> {
            ps.setLong(1, micros(now));
            ps.setLong(2, micros(expiresAt));
            ps.setInt(3, response.status());
            ps.setBytes(4, headers);
            ps.setBytes(5, body);
            ps.setInt(6, response.bodyRetained() ? 1 : 0);
            ps.setString(7, recordId);
            ps.setLong(8, token);
            ps.setLong(9, micros(now));
        }, 0);
    }

    boolean release(Connection c, String recordId, long token) throws SQLException {
        return update(c, release, ps -> {
            ps.setString(1, recordId);
            ps.setLong(2, token);
        }, 0);
    }

    /**
     * Moves the lease deadline, giving up after {@code timeoutSeconds} (a renewal stuck behind a
     * lock must not outlive the lease it is meant to keep).
     */
    boolean renew(Connection c, String recordId, long token, Instant leaseDeadline, Instant now, int timeoutSeconds)
            throws SQLException {
        return update(c, renew, ps -> {
            ps.setLong(1, micros(leaseDeadline));
            ps.setString(2, recordId);
            ps.setLong(3, token);
            ps.setLong(4, micros(now));
        }, timeoutSeconds);
    }

    boolean delete(Connection c, String recordId) throws SQLException {
        return update(c, delete, ps -> ps.setString(1, recordId), 0);
    }

    int purge(Connection c, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(purge)) {
            ps.setLong(1, micros(now));
            ps.setLong(2, micros(now));
            ps.setInt(3, limit);
            return ps.executeUpdate();
        }
    }

    // ---------------------------------------------------------------- reads

    Optional<IdempotencyRecord> find(Connection c, String recordId, Instant now) throws SQLException {
        return Optional.ofNullable(read(c, selectLive, recordId, now));
    }

    List<IdempotencyRecord> query(Connection c, RecordQuery q, Instant now) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM ").append(table)
                .append(" WHERE expires_at > ?");
        if (q.keyPrefix() != null) {
            sql.append(" AND ").append(dialect.keyPrefix());
        }
        if (q.state() != null) {
            sql.append(" AND state = ?");
        }
        if (q.createdAfter() != null) {
            sql.append(" AND created_at >= ?");
        }
        if (q.createdBefore() != null) {
            sql.append(" AND created_at < ?");
        }
        sql.append(" ORDER BY created_at DESC LIMIT ?");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            ps.setLong(i++, micros(now));
            if (q.keyPrefix() != null) {
                if (dialect.keyPrefixBySubstring()) {
                    ps.setInt(i++, q.keyPrefix().length());
                    ps.setString(i++, q.keyPrefix());
                } else {
                    ps.setString(i++, q.keyPrefix().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
                }
            }
            if (q.state() != null) {
                ps.setString(i++, q.state() == RecordState.COMPLETED ? COMPLETED : IN_PROGRESS);
            }
            if (q.createdAfter() != null) {
                ps.setLong(i++, micros(q.createdAfter()));
            }
            if (q.createdBefore() != null) {
                ps.setLong(i++, micros(q.createdBefore()));
            }
            ps.setInt(i, q.limit());
            List<IdempotencyRecord> records = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    records.add(toRecord(rs));
                }
            }
            return records;
        }
    }

    private IdempotencyRecord read(Connection c, String sql, String recordId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, recordId);
            if (now != null) {
                ps.setLong(2, micros(now));
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? toRecord(rs) : null;
            }
        }
    }

    private static IdempotencyRecord toRecord(ResultSet rs) throws SQLException {
        RecordState state = COMPLETED.equals(rs.getString("state")) ? RecordState.COMPLETED : RecordState.IN_PROGRESS;
        StoredResponse response = null;
        if (state == RecordState.COMPLETED) {
            byte[] body = rs.getBytes("body");
            response = StoredResponse.restore(rs.getInt("status"), decodeHeaders(rs.getBytes("headers")),
                    body == null ? new byte[0] : body, rs.getInt("body_retained") != 0);
        }
        return new IdempotencyRecord(rs.getString("record_id"), rs.getString("idem_key"), rs.getString("scope"),
                state, rs.getBytes("fingerprint"), rs.getLong("fencing_token"), rs.getString("lease_owner"),
                instant(rs, "lease_deadline"), instant(rs, "created_at"), instant(rs, "completed_at"),
                instant(rs, "expires_at"), response);
    }

    // ---------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    @FunctionalInterface
    private interface Execution<T> {
        T run(PreparedStatement ps) throws SQLException;
    }

    private boolean update(Connection c, String sql, Binder binder, int timeoutSeconds) throws SQLException {
        return execute(c, sql, binder, timeoutSeconds, ps -> ps.executeUpdate() > 0);
    }

    /** Runs one statement, bounded by {@code timeoutSeconds} (0: none); a lock wait past it is a {@link LockWaitTimeout}. */
    private <T> T execute(Connection c, String sql, Binder binder, int timeoutSeconds, Execution<T> execution)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (timeoutSeconds > 0) {
                ps.setQueryTimeout(timeoutSeconds);
            }
            binder.bind(ps);
            return execution.run(ps);
        } catch (SQLException e) {
            if (timeoutSeconds > 0 && dialect.isTimeout(e)) {
                throw new LockWaitTimeout(e);
            }
            throw e;
        }
    }

    /**
     * Runs the idempotent schema script, again if it fails: instances starting together each run it,
     * and H2 and PostgreSQL fail one of two concurrent "CREATE ... IF NOT EXISTS" of the same name
     * (PostgreSQL with a unique violation in its catalog). Once the other creation committed, the
     * script finds everything there. A script that keeps failing fails with its last error; any
     * other error (no permission, a syntax error, the database down) fails at once.
     */
    void runScriptRetryingRaces(Connection c, String script) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                runScript(c, script);
                return;
            } catch (SQLException e) {
                if (attempt == SCRIPT_ATTEMPTS || !isCreationRace(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(25L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Whether a failed schema script met another instance creating the same objects: a unique or
     * integrity violation in the catalog (PostgreSQL, H2), an object that exists already
     * (PostgreSQL 42P07/42710, MySQL and H2 42S01/42S11), a deadlock or serialization failure
     * between the two DDL transactions, SQLite's database lock held by the other, or any error
     * that says the object already exists (H2's general error for a concurrent {@code CREATE INDEX}).
     */
    static boolean isCreationRace(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.startsWith("[SQLITE_BUSY]")
                    || message.toLowerCase(java.util.Locale.ROOT).contains("already exists"))) {
                return true; // H2 reports a concurrent CREATE INDEX IF NOT EXISTS as a general error (HY000)
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("23") || state.equals("42P07") || state.equals("42710")
                        || state.equals("42S01") || state.equals("42S11") || state.equals("40001")
                        || state.equals("40P01")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Runs a schema script statement by statement (statements end with a semicolon at a line's end). */
    void runScript(Connection c, String script) throws SQLException {
        StringBuilder current = new StringBuilder();
        try (Statement st = c.createStatement()) {
            for (String line : script.split("\\R")) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                    continue;
                }
                current.append(line).append('\n');
                if (trimmed.endsWith(";")) {
                    String sql = current.toString().strip();
                    st.execute(sql.substring(0, sql.length() - 1));
                    current.setLength(0);
                }
            }
        }
    }

    /** The schema script for this table: the shipped default names replaced by the configured ones. */
    String schemaScript(String shipped, String schema, String tableName) {
        // the table reference may be schema-qualified; index names may not (PostgreSQL)
        return shipped.replaceAll("\\bsemel_idempotency\\b", schema == null ? tableName : schema + "." + tableName)
                .replaceAll("\\bsemel_idempotency_(\\w+)_idx\\b", tableName + "_$1_idx");
    }

    static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.EPOCH.plus(value, ChronoUnit.MICROS);
    }

    static byte[] encodeHeaders(List<StoredResponse.Header> headers) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + headers.size() * 48);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(headers.size());
            for (StoredResponse.Header h : headers) {
                writeString(out, h.name());
                writeString(out, h.value());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads what {@link #encodeHeaders} wrote.
     *
     * @throws IdempotencyStoreException if the bytes are not such an encoding (a damaged row)
     */
    static List<StoredResponse.Header> decodeHeaders(byte[] encoded) {
        if (encoded == null || encoded.length == 0) {
            return List.of();
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(encoded))) {
            int n = in.readInt();
            // every header takes at least two 4-byte lengths: checked before allocating anything
            if (n < 0 || n > in.available() / 8) {
                throw new IllegalArgumentException("header count " + n + " does not fit in " + encoded.length
                        + " bytes");
            }
            List<StoredResponse.Header> headers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                headers.add(new StoredResponse.Header(readString(in), readString(in)));
            }
            return headers;
        } catch (IOException | IllegalArgumentException e) {
            throw new IdempotencyStoreException("The stored headers are corrupt: " + e.getMessage(), e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IllegalArgumentException("header length " + length + " past the end of the headers");
        }
        byte[] b = new byte[length];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The claim's insert gave up waiting for another transaction's lock on the same record. */
    static final class LockWaitTimeout extends SQLException {
        private static final long serialVersionUID = 1L;

        LockWaitTimeout(SQLException cause) {
            super("Waited too long for another transaction holding the same idempotency record", cause.getSQLState(),
                    cause.getErrorCode(), cause);
        }
    }
}
