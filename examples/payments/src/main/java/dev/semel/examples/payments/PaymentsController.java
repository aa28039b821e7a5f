package dev.semel.examples.payments;

import dev.semel.spring.Idempotent;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP API: {@code POST /payments}, {@code GET /payments/{id}}, {@code GET /payments?recipient=…}
 * and {@code POST /payments/{id}/refunds}.
 */
@RestController
@RequestMapping(path = "/payments", produces = MediaType.APPLICATION_JSON_VALUE)
class PaymentsController {
    static final int DEFAULT_PAGE_SIZE = 20;
    static final int MAX_PAGE_SIZE = 100;

    private final PaymentService payments;

    PaymentsController(PaymentService payments) {
        this.payments = payments;
    }

    /** A payment: the key is required; a retry with it replays this answer instead of charging again. */
    @Idempotent
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Payment> pay(@RequestBody PaymentRequest request) {
        Payment payment = payments.pay(request);
        return ResponseEntity.created(URI.create("/payments/" + payment.id())).body(payment);
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
    ResponseEntity<Refund> refund(@PathVariable("id") String id, @RequestBody RefundRequest request) {
        Refund refund = payments.refund(id, request);
        return ResponseEntity.created(URI.create("/payments/" + id + "/refunds/" + refund.id())).body(refund);
    }
}
