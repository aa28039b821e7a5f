package dev.semel.spring.actuate;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.semel.Idempotency;
import dev.semel.IdempotencyAdmin;
import dev.semel.encryption.ResponseDecryptionException;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code idempotency} Actuator endpoint: lists records, shows one, deletes one (to
 * unblock a stuck key). Like every Actuator endpoint it is reachable only once exposed
 * ({@code management.endpoints.web.exposure.include=idempotency}); secure it like the
 * other administrative endpoints (see docs/spring-boot.md).
 *
 * <ul>
 *   <li>{@code GET /actuator/idempotency?keyPrefix=&state=&createdAfter=&createdBefore=&limit=}:
 *       records newest first, at most {@code limit} (default {@value RecordQuery#DEFAULT_LIMIT}).
 *   <li>{@code GET /actuator/idempotency/{recordId}}: one record's metadata (404 if none).
 *   <li>{@code DELETE /actuator/idempotency/{recordId}}: deletes it whatever its state.
 * </ul>
 *
 * <p>Stored bodies and headers can hold personal data, so they are never returned unless
 * {@code semel.actuator.include-responses=true}.
 */
@Endpoint(id = "idempotency")
public class IdempotencyEndpoint {
    private final IdempotencyAdmin admin;
    private final boolean includeResponses;

    /**
     * An endpoint over the engine's store.
     *
     * @param idempotency the engine
     * @param includeResponses whether stored bodies and headers are shown
     */
    public IdempotencyEndpoint(Idempotency idempotency, boolean includeResponses) {
        this.admin = idempotency.admin();
        this.includeResponses = includeResponses;
    }

    /**
     * Lists unexpired records, newest first.
     *
     * @param keyPrefix only keys starting with this
     * @param state only records in this state ({@code IN_PROGRESS} or {@code COMPLETED})
     * @param createdAfter only records created at or after this ISO-8601 instant
     * @param createdBefore only records created before this ISO-8601 instant
     * @param limit at most this many records, 1 to {@value RecordQuery#MAX_LIMIT}
     * @return the records
     */
    @ReadOperation
    public RecordsDescriptor records(@Nullable String keyPrefix, @Nullable RecordState state,
            @Nullable Instant createdAfter, @Nullable Instant createdBefore, @Nullable Integer limit) {
        int max = limit == null ? RecordQuery.DEFAULT_LIMIT : limit;
        if (max < 1 || max > RecordQuery.MAX_LIMIT) {
            throw new InvalidEndpointRequestException("limit must be between 1 and " + RecordQuery.MAX_LIMIT
                    + ", was " + max, "Invalid limit");
        }
        if (createdAfter != null && createdBefore != null && !createdAfter.isBefore(createdBefore)) {
            throw new InvalidEndpointRequestException("createdAfter must be before createdBefore",
                    "Invalid creation bounds");
        }
        RecordQuery query = new RecordQuery(blankToNull(keyPrefix), state, createdAfter, createdBefore, max);
        List<RecordDescriptor> records = admin.records(query).stream()
                .map(this::describe)
                .toList();
        return new RecordsDescriptor(records.size(), records);
    }

    /**
     * Shows one record's metadata. A record whose stored response cannot be decrypted (its key
     * was removed, say) is shown as the listing shows it, its response still encrypted, so that
     * it can be found and deleted.
     *
     * @param recordId the record id (from the list)
     * @return the record, or {@code null} (404) if it does not exist or expired
     */
    @ReadOperation
    public @Nullable RecordDescriptor record(@Selector String recordId) {
        try {
            return admin.record(recordId).map(this::describe).orElse(null);
        } catch (ResponseDecryptionException e) {
            return describe(e.storedRecord().orElseThrow(() -> e));
        }
    }

    /**
     * Deletes one record whatever its state, so that its key can be used again.
     *
     * @param recordId the record id
     * @return whether a record was deleted
     */
    @DeleteOperation
    public DeletionDescriptor delete(@Selector String recordId) {
        return new DeletionDescriptor(recordId, admin.delete(recordId));
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private RecordDescriptor describe(IdempotencyRecord record) {
        StoredResponse response = record.response();
        ResponseDescriptor responseDescriptor = null;
        if (response != null) {
            responseDescriptor = new ResponseDescriptor(response.status(), response.bodyLength(),
                    response.bodyRetained(),
                    includeResponses ? response.headers().stream()
                            .map(h -> new HeaderDescriptor(h.name(), h.value())).toList() : null,
                    includeResponses ? text(response.body()) : null,
                    includeResponses && text(response.body()) == null
                            ? Base64.getEncoder().encodeToString(response.body()) : null);
        }
        return new RecordDescriptor(record.recordId(), record.key(), record.scope(), record.state(),
                record.fencingToken(), record.leaseOwner(),
                record.state() == RecordState.IN_PROGRESS ? record.leaseDeadline() : null,
                record.createdAt(), record.completedAt(), record.expiresAt(), responseDescriptor);
    }

    private static @Nullable String text(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The records a query found.
     *
     * @param count how many
     * @param records the records, newest first
     */
    public record RecordsDescriptor(int count, List<RecordDescriptor> records) {
    }

    /**
     * One record's metadata.
     *
     * @param recordId the id to show or delete it by
     * @param key the idempotency key
     * @param scope the scope (caller and operation)
     * @param state IN_PROGRESS or COMPLETED
     * @param fencingToken the current lease's token
     * @param leaseOwner the instance holding (or that held) the lease
     * @param leaseDeadline when the lease ends unless renewed; only while in progress
     * @param createdAt when the key was first claimed
     * @param completedAt when the response was stored
     * @param expiresAt when the record stops existing
     * @param response the stored response's summary, when completed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RecordDescriptor(String recordId, @Nullable String key, @Nullable String scope, RecordState state,
            long fencingToken, @Nullable String leaseOwner, @Nullable Instant leaseDeadline, Instant createdAt,
            @Nullable Instant completedAt, Instant expiresAt, @Nullable ResponseDescriptor response) {
    }

    /**
     * A stored response: status and size always; headers and body only when enabled.
     *
     * @param status the status
     * @param bodyBytes the stored body's size
     * @param bodyRetained whether the body was kept (false when it exceeded the capture limit)
     * @param headers the stored headers, or {@code null} unless responses are included
     * @param body the body as UTF-8 text, or {@code null}
     * @param bodyBase64 the body in Base64 when it is not UTF-8 text, or {@code null}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ResponseDescriptor(int status, int bodyBytes, boolean bodyRetained,
            @Nullable List<HeaderDescriptor> headers, @Nullable String body, @Nullable String bodyBase64) {
    }

    /**
     * One stored header.
     *
     * @param name the name
     * @param value the value
     */
    public record HeaderDescriptor(String name, String value) {
    }

    /**
     * The result of a deletion.
     *
     * @param recordId the record id
     * @param deleted whether a record was deleted
     */
    public record DeletionDescriptor(String recordId, boolean deleted) {
    }
}
