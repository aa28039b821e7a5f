package dev.semel.spring;

import dev.semel.FailurePolicy;
import dev.semel.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.DeprecatedConfigurationProperty;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.BindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of Semel in a Spring Boot application, bound from {@code semel.*}.
 *
 * <p>Every property has a working default; an application that sets none gets
 * Idempotency-Key support on its {@link Idempotent @Idempotent} handlers with a store chosen
 * from what it has (a {@code DataSource}, a Redis connection, else memory).
 *
 * <pre>{@code
 * semel.ttl=24h
 * semel.in-progress.policy=wait
 * semel.in-progress.max-wait=5s
 * semel.store.type=jdbc
 * semel.store.jdbc.table-name=idempotency_records
 * semel.web.path-patterns=/payments/**
 * }</pre>
 */
@ConfigurationProperties(prefix = "semel")
@Validated
public class SemelProperties implements Validator {

    /** Whether Semel is auto-configured at all. */
    private boolean enabled = true;

    /** Name of the request header that carries the idempotency key. */
    private String headerName = "Idempotency-Key";

    /** How long a completed request's response is kept and replayed. */
    private Duration ttl = Duration.ofHours(24);

    /**
     * How long a running request holds its key without renewal; renewed in the background
     * every third of it while the request runs. After a crash, a retry takes over once it ends.
     */
    private Duration lease = Duration.ofSeconds(30);

    /**
     * Statuses whose responses are stored and replayed; the others release the key for a retry.
     * Entries: final (below 500 except 408, 409, 425, 429), including-server-errors (final and
     * 5xx), a status (503), a class (5xx), or one of those after ! to take it out (final,!404).
     * Exceptions always release the key, and so do answers given before the handler ran
     * (semel.web.release-before-handler).
     */
    private List<String> storedOutcomes = new ArrayList<>(List.of("final"));

    /**
     * What happens when the store cannot be reached: fail-closed answers 503 with
     * Retry-After, fail-open runs the request unprotected (logged and counted).
     */
    private FailurePolicy failurePolicy = FailurePolicy.FAIL_CLOSED;

    /** Retry-After suggested to clients when the store is unavailable. */
    private Duration storeFailureRetryAfter = Duration.ofSeconds(1);

    /** This instance's name as a lease owner, shown by the actuator endpoint. Default: generated from the process id. */
    private String ownerId;

    private final InProgress inProgress = new InProgress();

    private final Capture capture = new Capture();

    private final FingerprintSettings fingerprint = new FingerprintSettings();

    private final Store store = new Store();

    private final Web web = new Web();

    private final Actuator actuator = new Actuator();

    /**
     * Checks the values Spring Boot bound; a bad one fails the startup with Boot's failure
     * analysis naming the full property ({@code semel.ttl}, {@code semel.in-progress.max-wait}).
     *
     * @param clazz the class to validate
     * @return whether it is this class
     */
    @Override
    public boolean supports(Class<?> clazz) {
        return SemelProperties.class.isAssignableFrom(clazz);
    }

    /**
     * Validates these properties.
     *
     * @param target these properties
     * @param errors where violations go, as errors on the full (kebab-case) property names
     */
    @Override
    public void validate(Object target, Errors errors) {
        SemelProperties p = (SemelProperties) target;
        positive(errors, "ttl", p.ttl);
        positive(errors, "lease", p.lease);
        positive(errors, "store-failure-retry-after", p.storeFailureRetryAfter);
        notNegative(errors, "in-progress.max-wait", p.inProgress.maxWait);
        if (p.headerName == null || p.headerName.isBlank()) {
            reject(errors, "header-name", p.headerName, "must name a request header, e.g. Idempotency-Key");
        }
        try {
            StoredOutcomesParser.parse("semel.stored-outcomes", p.storedOutcomes);
        } catch (IllegalArgumentException e) {
            reject(errors, "stored-outcomes", p.storedOutcomes, e.getMessage());
        }
        positive(errors, "store.jdbc.lock-wait-timeout", p.store.jdbc.lockWaitTimeout);
        notNegative(errors, "store.jdbc.purge-interval", p.store.jdbc.purgeInterval);
        if (p.store.redis.commandTimeout != null) { // null: semel.store.timeout
            positive(errors, "store.redis.command-timeout", p.store.redis.commandTimeout);
        }
        for (String method : p.web.methods == null ? List.<String>of() : p.web.methods) {
            if (method == null || !UNSAFE_METHODS.contains(method.trim().toUpperCase(Locale.ROOT))) {
                reject(errors, "web.methods", p.web.methods,
                        "'" + method + "' is not one of " + UNSAFE_METHODS + " (safe methods are never protected)");
            }
        }
        validatePolicies(p, errors); // semel.policies.*: see the block at the end of this class
        validateNearCache(p, errors); // semel.near-cache.*: see its block near the end of this class
    }

    private static final Set<String> UNSAFE_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");

    private static void positive(Errors errors, String property, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            reject(errors, property, value, "must be a positive duration (e.g. 30s, 24h)");
        }
    }

    private static void notNegative(Errors errors, String property, Duration value) {
        if (value == null || value.isNegative()) {
            reject(errors, property, value, "must be zero or a positive duration (e.g. 0, 5s)");
        }
    }

    private static void reject(Errors errors, String property, Object value, String message) {
        if (errors instanceof BindingResult result) {
            // the field is the documented kebab-case name, so Boot's analysis shows semel.<property>
            result.addError(new FieldError(errors.getObjectName(), property, value, false,
                    new String[] {"semel.invalid"}, null, message));
        } else {
            errors.reject("semel.invalid", "semel." + property + " " + message + ", was " + value);
        }
    }

    /** @return whether Semel is auto-configured */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether Semel is auto-configured */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the key header's name */
    public String getHeaderName() {
        return headerName;
    }

    /** @param headerName the key header's name */
    public void setHeaderName(String headerName) {
        this.headerName = headerName;
    }

    /** @return how long completed records are replayed */
    public Duration getTtl() {
        return ttl;
    }

    /** @param ttl how long completed records are replayed */
    public void setTtl(Duration ttl) {
        this.ttl = ttl;
    }

    /** @return the lease duration */
    public Duration getLease() {
        return lease;
    }

    /** @param lease the lease duration */
    public void setLease(Duration lease) {
        this.lease = lease;
    }

    /** @return which statuses are stored, as entries of {@code semel.stored-outcomes} */
    public List<String> getStoredOutcomes() {
        return storedOutcomes;
    }

    /** @param storedOutcomes which statuses are stored, as entries of {@code semel.stored-outcomes} */
    public void setStoredOutcomes(List<String> storedOutcomes) {
        this.storedOutcomes = storedOutcomes;
    }

    /** @return what happens when the store fails */
    public FailurePolicy getFailurePolicy() {
        return failurePolicy;
    }

    /** @param failurePolicy what happens when the store fails */
    public void setFailurePolicy(FailurePolicy failurePolicy) {
        this.failurePolicy = failurePolicy;
    }

    /** @return the Retry-After given when the store fails */
    public Duration getStoreFailureRetryAfter() {
        return storeFailureRetryAfter;
    }

    /** @param storeFailureRetryAfter the Retry-After given when the store fails */
    public void setStoreFailureRetryAfter(Duration storeFailureRetryAfter) {
        this.storeFailureRetryAfter = storeFailureRetryAfter;
    }

    /** @return the lease owner name, or {@code null} for a generated one */
    public String getOwnerId() {
        return ownerId;
    }

    /** @param ownerId the lease owner name */
    public void setOwnerId(String ownerId) {
        this.ownerId = ownerId;
    }

    /** @return the in-progress settings */
    public InProgress getInProgress() {
        return inProgress;
    }

    /** @return the capture settings */
    public Capture getCapture() {
        return capture;
    }

    /** @return the fingerprint settings */
    public FingerprintSettings getFingerprint() {
        return fingerprint;
    }

    /** @return the store settings */
    public Store getStore() {
        return store;
    }

    /** @return the Spring MVC settings */
    public Web getWeb() {
        return web;
    }

    /** @return the Actuator settings */
    public Actuator getActuator() {
        return actuator;
    }

    /** What a duplicate does while the first request still runs. */
    public enum InProgressPolicy {
        /** Answer at once: 409 with Retry-After. */
        REJECT,
        /** Wait up to {@code semel.in-progress.max-wait} for the first request, then replay its response. */
        WAIT
    }

    /** Which store holds the records. */
    public enum StoreType {
        /** This process's memory: correct for one instance only, lost on restart. */
        MEMORY,
        /** The application's DataSource (semel-store-jdbc). */
        JDBC,
        /** The application's Redis connection settings (semel-store-redis). */
        REDIS
    }

    /** When the JDBC store runs its schema script at startup (the values of {@code spring.sql.init.mode}). */
    public enum SchemaInitialization {
        /** Only for an embedded, in-memory database (H2, HSQLDB, Derby): tests and demos. */
        EMBEDDED,
        /** On every database: the script is idempotent (CREATE ... IF NOT EXISTS). */
        ALWAYS,
        /** Never: a migration tool or a DBA creates the table. */
        NEVER
    }

    /** Where a transactional JDBC store commits the claim of a new key (see semel-store-jdbc's ClaimMode). */
    public enum JdbcClaimMode {
        /** The claim is the business transaction's first statement: one commit per first request. */
        IN_BUSINESS_TRANSACTION,
        /** The claim commits on its own first, visible to every instance at once; two commits. */
        SEPARATE_TRANSACTION
    }

    /** Settings under {@code semel.in-progress}. */
    public static class InProgress {
        /** What a duplicate gets while the first request still runs. */
        private InProgressPolicy policy = InProgressPolicy.REJECT;

        /** The longest a duplicate waits under the wait policy before it is answered 409. */
        private Duration maxWait = Duration.ofSeconds(5);

        /** @return the policy */
        public InProgressPolicy getPolicy() {
            return policy;
        }

        /** @param policy the policy */
        public void setPolicy(InProgressPolicy policy) {
            this.policy = policy;
        }

        /** @return the wait bound */
        public Duration getMaxWait() {
            return maxWait;
        }

        /** @param maxWait the wait bound */
        public void setMaxWait(Duration maxWait) {
            this.maxWait = maxWait;
        }
    }

    /** Settings under {@code semel.capture}: what of a response is stored. */
    public static class Capture {
        /**
         * Largest response body stored for replay. A larger response still completes the
         * record (it never runs twice); its replay says the body was not kept.
         */
        private DataSize maxBodySize = DataSize.ofMegabytes(1);

        /**
         * Largest request body read for the fingerprint; a larger request is refused with 413.
         */
        private DataSize maxRequestBodySize = DataSize.ofMegabytes(1);

        /**
         * Response headers never stored, in addition to the hop-by-hop ones, Set-Cookie and
         * Authorization, which are never stored either.
         */
        private List<String> excludedHeaders = new ArrayList<>();

        /** @return the largest stored response body */
        public DataSize getMaxBodySize() {
            return maxBodySize;
        }

        /** @param maxBodySize the largest stored response body */
        public void setMaxBodySize(DataSize maxBodySize) {
            this.maxBodySize = maxBodySize;
        }

        /** @return the largest request body read */
        public DataSize getMaxRequestBodySize() {
            return maxRequestBodySize;
        }

        /** @param maxRequestBodySize the largest request body read */
        public void setMaxRequestBodySize(DataSize maxRequestBodySize) {
            this.maxRequestBodySize = maxRequestBodySize;
        }

        /** @return headers never stored */
        public List<String> getExcludedHeaders() {
            return excludedHeaders;
        }

        /** @param excludedHeaders headers never stored */
        public void setExcludedHeaders(List<String> excludedHeaders) {
            this.excludedHeaders = excludedHeaders;
        }
    }

    /** Settings under {@code semel.fingerprint}: what makes two requests "the same request". */
    public static class FingerprintSettings {
        /** Request headers that are part of the fingerprint: a retry must send the same values. */
        private List<String> headers = new ArrayList<>(List.of("Content-Type"));

        /**
         * JSON Pointers (RFC 6901, e.g. /clientTimestamp) of request body members that the
         * fingerprint ignores, so retries that differ only there still replay.
         */
        private List<String> ignoredJsonPointers = new ArrayList<>();

        /** @return the fingerprinted headers */
        public List<String> getHeaders() {
            return headers;
        }

        /** @param headers the fingerprinted headers */
        public void setHeaders(List<String> headers) {
            this.headers = headers;
        }

        /** @return the ignored JSON pointers */
        public List<String> getIgnoredJsonPointers() {
            return ignoredJsonPointers;
        }

        /** @param ignoredJsonPointers the ignored JSON pointers */
        public void setIgnoredJsonPointers(List<String> ignoredJsonPointers) {
            this.ignoredJsonPointers = ignoredJsonPointers;
        }

        /**
         * Deepest nesting of objects and arrays accepted in the JSON body of a keyed request
         * (1 to 1000); deeper bodies get a 400 json-too-deep problem. Default 100.
         */
        private int jsonMaxNestingDepth = 100;

        /**
         * Longest number, in characters, accepted in the JSON body of a keyed request; longer
         * ones get a 400 json-number-too-long problem. Default 100.
         */
        private int jsonMaxNumberLength = 100;

        /** @return the deepest JSON nesting accepted */
        public int getJsonMaxNestingDepth() {
            return jsonMaxNestingDepth;
        }

        /** @param jsonMaxNestingDepth the deepest JSON nesting accepted */
        public void setJsonMaxNestingDepth(int jsonMaxNestingDepth) {
            this.jsonMaxNestingDepth = jsonMaxNestingDepth;
        }

        /** @return the longest JSON number accepted */
        public int getJsonMaxNumberLength() {
            return jsonMaxNumberLength;
        }

        /** @param jsonMaxNumberLength the longest JSON number accepted */
        public void setJsonMaxNumberLength(int jsonMaxNumberLength) {
            this.jsonMaxNumberLength = jsonMaxNumberLength;
        }
    }

    /** Settings under {@code semel.store}. */
    public static class Store {
        /**
         * Which store holds the records. Default: chosen from the application, a DataSource
         * gives JDBC, else a Redis connection gives Redis, else memory (with a startup warning
         * that memory protects one instance only).
         */
        private StoreType type;

        /**
         * The longest one request waits for an unreachable store before it is answered 503 with
         * Retry-After (default 1s). Applied to the JDBC store's wait for a connection (Spring
         * Boot's Hikari pool, unless spring.datasource.hikari.connection-timeout is set; at least
         * 250ms) and as the Redis command timeout unless semel.store.redis.command-timeout is set.
         */
        private Duration timeout = Duration.ofSeconds(1);

        private final Jdbc jdbc = new Jdbc();

        private final Redis redis = new Redis();

        private final Memory memory = new Memory();

        /** @return the store type, {@code null} to choose automatically */
        public StoreType getType() {
            return type;
        }

        /** @param type the store type */
        public void setType(StoreType type) {
            this.type = type;
        }

        /** @return the longest wait for an unreachable store */
        public Duration getTimeout() {
            return timeout;
        }

        /** @param timeout the longest wait for an unreachable store; positive */
        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        /** @return the JDBC settings */
        public Jdbc getJdbc() {
            return jdbc;
        }

        /** @return the Redis settings */
        public Redis getRedis() {
            return redis;
        }

        /** @return the in-memory store's settings */
        public Memory getMemory() {
            return memory;
        }
    }

    /** Settings under {@code semel.store.memory}: the bounds of the in-memory store. */
    public static class Memory {
        /**
         * The most records the in-memory store holds; when full it evicts completed records,
         * the oldest first, and refuses a new key (503) only when records in progress fill it.
         */
        private int maxRecords = InMemoryIdempotencyStore.DEFAULT_MAX_RECORDS;

        /**
         * The most memory the in-memory store's records take, by its estimate (bodies, headers,
         * keys and a per-record overhead); at least 64KB. Evicts like max-records.
         */
        private DataSize maxBytes = DataSize.ofBytes(InMemoryIdempotencyStore.DEFAULT_MAX_BYTES);

        /** @return the record bound */
        public int getMaxRecords() {
            return maxRecords;
        }

        /** @param maxRecords the record bound */
        public void setMaxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
        }

        /** @return the byte bound */
        public DataSize getMaxBytes() {
            return maxBytes;
        }

        /** @param maxBytes the byte bound */
        public void setMaxBytes(DataSize maxBytes) {
            this.maxBytes = maxBytes;
        }
    }

    /** Settings under {@code semel.store.jdbc}. */
    public static class Jdbc {
        /** Name of the table that holds the records. */
        private String tableName = "semel_idempotency";

        /**
         * When the store runs its dialect's schema script (CREATE ... IF NOT EXISTS) at startup:
         * embedded (only for an in-memory H2, HSQLDB or Derby database, like spring.sql.init.mode),
         * always, or never (the table comes from Flyway, Liquibase or a DBA; semel-store-jdbc ships
         * migrations under META-INF/semel/flyway/{vendor} and META-INF/semel/liquibase).
         */
        private SchemaInitialization initializeSchema = SchemaInitialization.EMBEDDED;

        /** Replaced by initialize-schema: true means always, false means never. */
        private Boolean createTable;

        /**
         * Whether the record commits in the same transaction as the request's own writes
         * (through Spring's transaction manager), so both commit or roll back together.
         */
        private boolean transactional = true;

        /**
         * Transactional mode: where the claim of a new key commits. in-business-transaction
         * (one commit; a concurrent duplicate waits on the row lock up to lock-wait-timeout) or
         * separate-transaction (the claim commits first, so every instance sees the key in progress).
         */
        private JdbcClaimMode claimMode = JdbcClaimMode.IN_BUSINESS_TRANSACTION;

        /** Transactional mode: how long a duplicate waits for the transaction holding its key before 409. */
        private Duration lockWaitTimeout = Duration.ofSeconds(2);

        /** How often expired records are deleted, in small batches, by each instance; 0 disables the purge. */
        private Duration purgeInterval = Duration.ofMinutes(10);

        /**
         * Whether a claim first reads the record with one plain SELECT by primary key (no lock, no
         * transaction) and answers a completed, unexpired record from it at once: a replay then
         * costs that one statement and, in transactional mode, begins no transaction. A new key
         * pays that SELECT before its usual claim (in transactional mode on every database, in
         * the plain store on PostgreSQL, where the claim needs no read of its own).
         */
        private boolean readFirst = true;

        /** @return the table name */
        public String getTableName() {
            return tableName;
        }

        /** @param tableName the table name */
        public void setTableName(String tableName) {
            this.tableName = tableName;
        }

        /** @return when the schema script runs at startup */
        public SchemaInitialization getInitializeSchema() {
            return initializeSchema;
        }

        /** @param initializeSchema when the schema script runs at startup */
        public void setInitializeSchema(SchemaInitialization initializeSchema) {
            this.initializeSchema = initializeSchema;
        }

        /**
         * @return whether the table is created if missing, {@code null} when unset
         * @deprecated use {@link #getInitializeSchema()}
         */
        @Deprecated(since = "0.1.0")
        @DeprecatedConfigurationProperty(replacement = "semel.store.jdbc.initialize-schema")
        public Boolean getCreateTable() {
            return createTable;
        }

        /**
         * @param createTable whether the table is created if missing
         * @deprecated use {@link #setInitializeSchema(SchemaInitialization)}
         */
        @Deprecated(since = "0.1.0")
        public void setCreateTable(Boolean createTable) {
            this.createTable = createTable;
        }

        /** @return the schema initialization in force, the deprecated create-table winning when set */
        SchemaInitialization effectiveInitializeSchema() {
            if (createTable != null) {
                return createTable ? SchemaInitialization.ALWAYS : SchemaInitialization.NEVER;
            }
            return initializeSchema;
        }

        /** @return where claims commit in transactional mode */
        public JdbcClaimMode getClaimMode() {
            return claimMode;
        }

        /** @param claimMode where claims commit in transactional mode */
        public void setClaimMode(JdbcClaimMode claimMode) {
            this.claimMode = claimMode;
        }

        /** @return the lock wait bound */
        public Duration getLockWaitTimeout() {
            return lockWaitTimeout;
        }

        /** @param lockWaitTimeout the lock wait bound */
        public void setLockWaitTimeout(Duration lockWaitTimeout) {
            this.lockWaitTimeout = lockWaitTimeout;
        }

        /** @return the purge interval, zero for none */
        public Duration getPurgeInterval() {
            return purgeInterval;
        }

        /** @param purgeInterval the purge interval, zero for none */
        public void setPurgeInterval(Duration purgeInterval) {
            this.purgeInterval = purgeInterval;
        }

        /** @return whether a claim first reads a completed record with a plain SELECT */
        public boolean isReadFirst() {
            return readFirst;
        }

        /** @param readFirst whether a claim first reads a completed record with a plain SELECT */
        public void setReadFirst(boolean readFirst) {
            this.readFirst = readFirst;
        }

        /** @return whether transactional mode is on */
        public boolean isTransactional() {
            return transactional;
        }

        /** @param transactional whether transactional mode is on */
        public void setTransactional(boolean transactional) {
            this.transactional = transactional;
        }
    }

    /** Settings under {@code semel.store.redis}. */
    public static class Redis {
        /** Prefix of every Redis key the store writes. */
        private String keyPrefix = "semel:";

        /**
         * How long the store waits for Redis to answer one command before the request fails
         * (closed or open). Default: semel.store.timeout (1s).
         */
        private Duration commandTimeout;

        /**
         * Whether the store may run on a Redis whose maxmemory-policy evicts keys (allkeys-*, volatile-*),
         * which can drop live records and let a retry run the operation again. Off by default: such a
         * server is refused at start.
         */
        private boolean allowEviction = false;

        /** @return whether an evicting Redis is accepted */
        public boolean isAllowEviction() {
            return allowEviction;
        }

        /** @param allowEviction whether an evicting Redis is accepted */
        public void setAllowEviction(boolean allowEviction) {
            this.allowEviction = allowEviction;
        }

        /** @return the command timeout, {@code null} for semel.store.timeout */
        public Duration getCommandTimeout() {
            return commandTimeout;
        }

        /** @param commandTimeout the command timeout */
        public void setCommandTimeout(Duration commandTimeout) {
            this.commandTimeout = commandTimeout;
        }

        /** @return the key prefix */
        public String getKeyPrefix() {
            return keyPrefix;
        }

        /** @param keyPrefix the key prefix */
        public void setKeyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }
    }

    /** Settings under {@code semel.web}: the Spring MVC and WebFlux integrations. */
    public static class Web {
        /** Whether the web integration (the Spring MVC or the WebFlux filter) is registered. */
        private boolean enabled = true;

        /**
         * Path patterns over the path within the application (e.g. /payments/**; * or {name} matches one segment, ** any number) whose requests are idempotent
         * without {@code @Idempotent}, for applications that prefer configuration.
         */
        private List<String> pathPatterns = new ArrayList<>();

        /**
         * HTTP methods the path patterns apply to; by default every unsafe method, the same ones
         * {@code @Idempotent} protects.
         */
        private List<String> methods = new ArrayList<>(List.of("POST", "PUT", "PATCH", "DELETE"));

        /** Whether requests matched by the path patterns must carry a key (else 400). */
        private boolean keyRequired = true;

        /**
         * Whether answers Spring MVC gives before the handler method runs (binding and validation
         * errors, 404, 405, 415) release the key instead of being stored, so the corrected retry
         * with the same key runs (Stripe's rule).
         */
        private boolean releaseBeforeHandler = true;

        /** Order of the filter among the servlet filters; after Spring Security's by default, so the principal is known. */
        private int filterOrder = 0;

        /**
         * The Retry-After of the 409 answered while the first request with a key still runs
         * (never longer than what remains of its lease; at least 1 s). Default 1 s, so clients
         * come back soon and get the replay.
         */
        private Duration inProgressRetryAfter = Duration.ofSeconds(1);

        /** @return the Retry-After of the in-progress 409 */
        public Duration getInProgressRetryAfter() {
            return inProgressRetryAfter;
        }

        /** @param inProgressRetryAfter the Retry-After of the in-progress 409 */
        public void setInProgressRetryAfter(Duration inProgressRetryAfter) {
            this.inProgressRetryAfter = inProgressRetryAfter;
        }

        /**
         * Whether keyed requests with neither a principal nor a credential header are
         * accepted; they then share one scope, so one anonymous client can be answered with
         * another's stored response. Default false: they get a 400 credentials-required problem.
         */
        private boolean allowAnonymous = false;

        /**
         * Request headers holding a caller's credentials (e.g. Authorization, X-Api-Key): a
         * keyed request without a principal is scoped by a keyed hash of their values.
         */
        private List<String> credentialHeaders = new ArrayList<>(List.of("Authorization"));

        /**
         * Secret (at least 16 bytes in UTF-8) for the HMAC of credential headers; the same on
         * every instance. Unset, credentials are hashed with plain SHA-256: instances still
         * agree, but whoever can read the store can test guesses of weak credentials offline.
         */
        private String callerSecret;

        /** @return whether the MVC integration is on */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the MVC integration is on */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the path patterns */
        public List<String> getPathPatterns() {
            return pathPatterns;
        }

        /** @param pathPatterns the path patterns */
        public void setPathPatterns(List<String> pathPatterns) {
            this.pathPatterns = pathPatterns;
        }

        /** @return the methods the patterns apply to */
        public List<String> getMethods() {
            return methods;
        }

        /** @param methods the methods the patterns apply to */
        public void setMethods(List<String> methods) {
            this.methods = methods;
        }

        /** @return whether pattern-matched requests need a key */
        public boolean isKeyRequired() {
            return keyRequired;
        }

        /** @param keyRequired whether pattern-matched requests need a key */
        public void setKeyRequired(boolean keyRequired) {
            this.keyRequired = keyRequired;
        }

        /** @return whether answers given before the handler ran release the key */
        public boolean isReleaseBeforeHandler() {
            return releaseBeforeHandler;
        }

        /** @param releaseBeforeHandler whether answers given before the handler ran release the key */
        public void setReleaseBeforeHandler(boolean releaseBeforeHandler) {
            this.releaseBeforeHandler = releaseBeforeHandler;
        }

        /** @return the filter order */
        public int getFilterOrder() {
            return filterOrder;
        }

        /** @param filterOrder the filter order */
        public void setFilterOrder(int filterOrder) {
            this.filterOrder = filterOrder;
        }

        /** @return whether keyed requests without any credential are accepted */
        public boolean isAllowAnonymous() {
            return allowAnonymous;
        }

        /** @param allowAnonymous whether keyed requests without any credential are accepted */
        public void setAllowAnonymous(boolean allowAnonymous) {
            this.allowAnonymous = allowAnonymous;
        }

        /** @return the credential headers */
        public List<String> getCredentialHeaders() {
            return credentialHeaders;
        }

        /** @param credentialHeaders the credential headers */
        public void setCredentialHeaders(List<String> credentialHeaders) {
            this.credentialHeaders = credentialHeaders;
        }

        /** @return the secret for hashing credentials, or {@code null} */
        public String getCallerSecret() {
            return callerSecret;
        }

        /** @param callerSecret the secret for hashing credentials */
        public void setCallerSecret(String callerSecret) {
            this.callerSecret = callerSecret;
        }
    }

    /** Settings under {@code semel.actuator}. */
    public static class Actuator {
        /**
         * Whether the idempotency endpoint shows stored response headers and bodies. They
         * can hold personal data, so by default only status and size are shown.
         */
        private boolean includeResponses = false;

        /** @return whether responses are shown */
        public boolean isIncludeResponses() {
            return includeResponses;
        }

        /** @param includeResponses whether responses are shown */
        public void setIncludeResponses(boolean includeResponses) {
            this.includeResponses = includeResponses;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Near cache: semel.near-cache.*  (kept in one block, like the named policies below)
    // ------------------------------------------------------------------------------------------

    private final NearCache nearCache = new NearCache();

    /** @return the near cache settings */
    public NearCache getNearCache() {
        return nearCache;
    }

    private static void validateNearCache(SemelProperties p, Errors errors) {
        if (p.nearCache.maxEntries < 1) {
            reject(errors, "near-cache.max-entries", p.nearCache.maxEntries, "must be at least 1");
        }
        positive(errors, "near-cache.max-staleness", p.nearCache.maxStaleness);
        if (p.nearCache.maxBodySize == null || p.nearCache.maxBodySize.isNegative()
                || p.nearCache.maxBodySize.toBytes() > Integer.MAX_VALUE) {
            reject(errors, "near-cache.max-body-size", p.nearCache.maxBodySize,
                    "must be a size from 0 to 2GB (e.g. 8KB)");
        }
    }

    /**
     * Settings under {@code semel.near-cache}: completed records kept in this instance's memory
     * (semel-near-cache, Caffeine) so that a replay needs no store round trip. A record deleted on
     * another instance may still replay here for at most max-staleness.
     */
    public static class NearCache {
        /**
         * Whether replays of recently completed keys are answered from this instance's memory
         * (needs semel-near-cache; not with a transactional JDBC store).
         */
        private boolean enabled = false;

        /** The most completed records kept in memory. */
        private int maxEntries = 10_000;

        /**
         * How long a cached record is replayed at most without asking the store: how long a
         * record deleted on another instance may still replay here.
         */
        private Duration maxStaleness = Duration.ofSeconds(1);

        /** The largest response body kept in memory; a record with a larger one is replayed from the store. */
        private DataSize maxBodySize = DataSize.ofKilobytes(8);

        /** @return whether the near cache is on */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the near cache is on */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the most records kept */
        public int getMaxEntries() {
            return maxEntries;
        }

        /** @param maxEntries the most records kept */
        public void setMaxEntries(int maxEntries) {
            this.maxEntries = maxEntries;
        }

        /** @return how long a cached record is replayed at most */
        public Duration getMaxStaleness() {
            return maxStaleness;
        }

        /** @param maxStaleness how long a cached record is replayed at most */
        public void setMaxStaleness(Duration maxStaleness) {
            this.maxStaleness = maxStaleness;
        }

        /** @return the largest body kept */
        public DataSize getMaxBodySize() {
            return maxBodySize;
        }

        /** @param maxBodySize the largest body kept */
        public void setMaxBodySize(DataSize maxBodySize) {
            this.maxBodySize = maxBodySize;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Named policies: semel.policies.<name>.*  (kept in one block so that other property groups
    // can be added to this class without touching it)
    // ------------------------------------------------------------------------------------------

    /**
     * Named policies (ttl, lease, in-progress, max-wait, stored-outcomes, path-patterns), referenced
     * as @Idempotent(policy = "refunds") or applied to the paths of their own path-patterns. A setting
     * a policy leaves unset comes from the policy named default, then from the top-level property
     * (semel.ttl, semel.lease, semel.in-progress.*, semel.stored-outcomes).
     */
    private java.util.Map<String, Policy> policies = new java.util.LinkedHashMap<>();

    /** @return the named policies, by name ({@code default} included when configured) */
    public java.util.Map<String, Policy> getPolicies() {
        return policies;
    }

    /** @param policies the named policies, by name */
    public void setPolicies(java.util.Map<String, Policy> policies) {
        this.policies = policies;
    }

    /**
     * Settings of one named policy ({@code semel.policies.<name>.*}); every one is optional and
     * {@code null} when unset.
     */
    public static class Policy {
        /** How long a completed response is kept and replayed. Default: the default policy's, else semel.ttl. */
        private Duration ttl;

        /** How long a running request holds its key without renewal. Default: the default policy's, else semel.lease. */
        private Duration lease;

        /**
         * What a duplicate gets while the first request still runs: reject (409 + Retry-After) or wait.
         * Default: the default policy's, else semel.in-progress.policy.
         */
        private InProgressPolicy inProgress;

        /**
         * The longest a duplicate waits under the wait policy before it is answered 409. Default: the
         * default policy's, else semel.in-progress.max-wait.
         */
        private Duration maxWait;

        /**
         * Statuses whose responses are stored and replayed, as entries of semel.stored-outcomes
         * (final, including-server-errors, 503, 5xx, !404). Default: the default policy's, else
         * semel.stored-outcomes.
         */
        private List<String> storedOutcomes;

        /**
         * Path patterns (like semel.web.path-patterns) whose requests are protected with this policy,
         * for the methods of semel.web.methods; an @Idempotent handler on such a path takes this
         * policy's settings too unless it names a policy itself.
         */
        private List<String> pathPatterns = new ArrayList<>();

        /** @return the TTL, or {@code null} to inherit */
        public Duration getTtl() {
            return ttl;
        }

        /** @param ttl the TTL */
        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        /** @return the lease, or {@code null} to inherit */
        public Duration getLease() {
            return lease;
        }

        /** @param lease the lease */
        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** @return the in-progress policy, or {@code null} to inherit */
        public InProgressPolicy getInProgress() {
            return inProgress;
        }

        /** @param inProgress the in-progress policy */
        public void setInProgress(InProgressPolicy inProgress) {
            this.inProgress = inProgress;
        }

        /** @return the wait bound, or {@code null} to inherit */
        public Duration getMaxWait() {
            return maxWait;
        }

        /** @param maxWait the wait bound */
        public void setMaxWait(Duration maxWait) {
            this.maxWait = maxWait;
        }

        /** @return the stored outcomes, or {@code null} to inherit */
        public List<String> getStoredOutcomes() {
            return storedOutcomes;
        }

        /** @param storedOutcomes the stored outcomes */
        public void setStoredOutcomes(List<String> storedOutcomes) {
            this.storedOutcomes = storedOutcomes;
        }

        /** @return the path patterns this policy protects */
        public List<String> getPathPatterns() {
            return pathPatterns;
        }

        /** @param pathPatterns the path patterns this policy protects */
        public void setPathPatterns(List<String> pathPatterns) {
            this.pathPatterns = pathPatterns;
        }
    }

    private static void validatePolicies(SemelProperties p, Errors errors) {
        if (p.policies == null) {
            return;
        }
        java.util.Map<String, String> patternOwners = new java.util.HashMap<>();
        for (java.util.Map.Entry<String, Policy> entry : new java.util.TreeMap<>(p.policies).entrySet()) {
            String name = entry.getKey();
            String prefix = "policies." + name + ".";
            Policy policy = entry.getValue();
            if (name == null || name.isBlank()) {
                reject(errors, "policies", name, "a policy needs a name: semel.policies.<name>.ttl");
                continue;
            }
            if (policy == null) {
                continue;
            }
            if (policy.ttl != null) {
                positive(errors, prefix + "ttl", policy.ttl);
            }
            if (policy.lease != null) {
                positive(errors, prefix + "lease", policy.lease);
            }
            if (policy.maxWait != null) {
                notNegative(errors, prefix + "max-wait", policy.maxWait);
            }
            if (policy.storedOutcomes != null) {
                try {
                    StoredOutcomesParser.parse("semel." + prefix + "stored-outcomes", policy.storedOutcomes);
                } catch (IllegalArgumentException e) {
                    reject(errors, prefix + "stored-outcomes", policy.storedOutcomes, e.getMessage());
                }
            }
            for (String pattern : policy.pathPatterns == null ? List.<String>of() : policy.pathPatterns) {
                String problem = pathPatternProblem(pattern);
                String owner = pattern == null ? null : patternOwners.putIfAbsent(pattern.trim(), name);
                if (problem == null && owner != null) {
                    problem = "'" + pattern + "' is already a path pattern of semel.policies." + owner
                            + ": a path belongs to one policy";
                }
                if (problem != null) {
                    reject(errors, prefix + "path-patterns", policy.pathPatterns, problem);
                }
            }
        }
    }

    /** The rules of the filter's path patterns, checked here so that a bad one names its property. */
    private static String pathPatternProblem(String pattern) {
        if (pattern == null || !pattern.trim().startsWith("/")) {
            return "'" + pattern + "' is not a path pattern: it starts with / (e.g. /refunds/**)";
        }
        for (String segment : pattern.trim().split("/")) {
            if (segment.contains("**") && !segment.equals("**")) {
                return "'" + pattern + "': ** must be a whole segment (e.g. /refunds/**)";
            }
        }
        return null;
    }
}
