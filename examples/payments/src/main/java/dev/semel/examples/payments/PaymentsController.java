package dev.semel.examples.payments;

import dev.semel.IdempotencyKey;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import dev.semel.spring.Idempotent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP API: {@code POST /payments}, {@code GET /payments/{id}}, {@code GET /payments?recipient=…}
 * and {@code POST /payments/{id}/refunds}.
 *
 * <p>With the JDBC store in transactional mode (the default) Semel's record commits in the
 * payment's transaction: a crash leaves both or neither. Any other store (Redis, memory, JDBC
 * plain) commits the record after the payment, so a process killed between the two leaves a
 * payment without a record, and the retry after the lease would charge again; there the
 * payment is stored with its caller's key (hashed) and the retry gets the payment already made.
 */
@RestController
@RequestMapping(path = "/payments", produces = MediaType.APPLICATION_JSON_VALUE)
class PaymentsController {
    static final int DEFAULT_PAGE_SIZE = 20;
    static final int MAX_PAGE_SIZE = 100;

    private final PaymentService payments;
    private final boolean recordCommitsWithPayment;

    PaymentsController(PaymentService payments, ObjectProvider<IdempotencyStore> store) {
        this.payments = payments;
        IdempotencyStore chosen = store.getIfUnique();
        this.recordCommitsWithPayment = chosen == null || chosen instanceof TransactionalIdempotencyStore;
    }

    /** A payment: the key is required; a retry with it replays this answer instead of charging again. */
    @Idempotent
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED) // what the OpenAPI document shows; the ResponseEntity sets it too
    ResponseEntity<Payment> pay(@RequestBody PaymentRequest request,
                                @RequestHeader(name = "Idempotency-Key", required = false) String key,
                                Principal caller) {
        Payment payment = payments.pay(request, recordCommitsWithPayment ? null : requestRef(key, caller));
        return ResponseEntity.created(URI.create("/payments/" + payment.id())).body(payment);
    }

    /** The caller's key, as Semel scopes it (per caller), hashed to a fixed length; {@code null} without a key. */
    private static String requestRef(String key, Principal caller) {
        if (key == null) {
            return null;
        }
        String scoped = "POST /payments\n" + (caller == null ? "" : caller.getName()) + "\n"
                + IdempotencyKey.parse(key).value();
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(scoped.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @GetMapping("/{id}")
    Payment get(@PathVariable("id") String id) {
        return payments.find(id);
    }

    @GetMapping
    List<Payment> list(@RequestParam(name = "recipient", required = false) String recipient,
                       @RequestParam(name = "limit", defaultValue = "" + DEFAULT_PAGE_SIZE) int limit) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new InvalidRequestException(Map.of("limit", "must be between 1 and " + MAX_PAGE_SIZE));
        }
        return payments.list(recipient, limit);
    }

    /** A refund: keyed like a payment; the key's fingerprint includes the payment id in the path. */
    @Idempotent
    @PostMapping(path = "/{id}/refunds", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ResponseEntity<Refund> refund(@PathVariable("id") String id, @RequestBody RefundRequest request) {
        Refund refund = payments.refund(id, request);
        return ResponseEntity.created(URI.create("/payments/" + id + "/refunds/" + refund.id())).body(refund);
    }
}
