package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Charges payments through the provider and records them; refunds them within the amount paid.
 *
 * <p>Final business answers (invalid, declined, not found, over-refund) are thrown before anything
 * is written and do not roll back: a surrounding transaction, such as the one Semel's transactional
 * mode opens to store the answer with the business rows, must still commit.
 */
@Service
public class PaymentService {
    private static final org.apache.commons.logging.Log LOG = org.apache.commons.logging.LogFactory.getLog(PaymentService.class);

    private final PaymentRepository repository;
    private final PaymentProvider provider;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    PaymentService(PaymentRepository repository, PaymentProvider provider, ApplicationEventPublisher events) {
        this.repository = repository;
        this.provider = provider;
        this.events = events;
        this.clock = Clock.systemUTC();
    }

    /**
     * Charges the payment and stores it.
     *
     * @param request a valid request
     * @return the stored payment
     * @throws PaymentProvider.PaymentDeclinedException if the provider declines
     * @throws PaymentProvider.ProviderUnavailableException if the provider fails
     */
    @Transactional(noRollbackFor = {InvalidRequestException.class, PaymentProvider.PaymentDeclinedException.class})
    public Payment pay(PaymentRequest request) {
        return pay(request, null);
    }

    /**
     * Charges the payment and stores it with the reference of the request that asked for it, unless
     * a payment with that reference exists: then that payment is returned and nothing is charged.
     * This closes the one gap a store that commits apart from the payment leaves (see
     * {@link PaymentsController}): a crash after the payment and before Semel's record.
     *
     * @param request a valid request
     * @param requestRef the caller's idempotency key, hashed; {@code null} to charge unconditionally
     * @return the stored payment, or the one already made for {@code requestRef}
     * @throws InvalidRequestException if {@code requestRef} already made another payment
     */
    @Transactional(noRollbackFor = {InvalidRequestException.class, PaymentProvider.PaymentDeclinedException.class})
    public Payment pay(PaymentRequest request, String requestRef) {
        RequestValidator.check(request);
        BigDecimal amount = request.amount().setScale(2, RoundingMode.UNNECESSARY);
        if (requestRef != null) {
            Optional<Payment> made = repository.findByRequestRef(requestRef);
            if (made.isPresent()) {
                return alreadyMade(made.get(), amount, request);
            }
        }
        provider.charge(amount, request.currency(), request.recipient());
        Payment payment = new Payment(UUID.randomUUID().toString(), amount, request.currency(),
                request.recipient(), Payment.Status.SUCCEEDED, now());
        repository.insert(payment, requestRef);
        events.publishEvent(new PaymentCreated(payment));
        return payment;
    }

    private static Payment alreadyMade(Payment made, BigDecimal amount, PaymentRequest request) {
        if (made.amount().compareTo(amount) != 0 || !made.currency().equals(request.currency())
                || !made.recipient().equals(request.recipient())) {
            throw new InvalidRequestException(java.util.Map.of("Idempotency-Key", "already made another payment"));
        }
        LOG.info("Payment " + made.id() + " was already made for this idempotency key (its record was lost, e.g. to a "
                + "crash before it was stored): answered again, not charged again");
        return made;
    }

    /**
     * Returns a payment.
     *
     * @param id its id
     * @return the payment
     * @throws PaymentNotFoundException if there is none with that id
     */
    @Transactional(readOnly = true)
    public Payment find(String id) {
        return repository.find(id).orElseThrow(() -> new PaymentNotFoundException(id));
    }

    /**
     * Returns the newest payments, to one recipient or to anyone.
     *
     * @param recipient the recipient, or {@code null} for all
     * @param limit how many at most
     * @return the payments, newest first
     */
    @Transactional(readOnly = true)
    public List<Payment> list(String recipient, int limit) {
        return recipient == null ? repository.findNewest(limit) : repository.findByRecipient(recipient, limit);
    }

    /**
     * Refunds part of a payment. The payment's row stays locked until the refund commits, so
     * two refunds racing on one payment cannot together exceed it.
     *
     * @param paymentId the payment
     * @param request a refund request
     * @return the stored refund
     * @throws PaymentNotFoundException if the payment does not exist
     * @throws RefundExceedsPaymentException if the refunds would exceed the payment
     */
    @Transactional(noRollbackFor = {InvalidRequestException.class, PaymentNotFoundException.class,
            RefundExceedsPaymentException.class})
    public Refund refund(String paymentId, RefundRequest request) {
        RequestValidator.check(request);
        Payment payment = repository.findForUpdate(paymentId).orElseThrow(() -> new PaymentNotFoundException(paymentId));
        BigDecimal amount = request.amount().setScale(2, RoundingMode.UNNECESSARY);
        BigDecimal refunded = repository.refundedAmount(paymentId);
        BigDecimal left = payment.amount().subtract(refunded);
        if (amount.compareTo(left) > 0) {
            throw new RefundExceedsPaymentException(paymentId, amount, left);
        }
        Refund refund = new Refund(UUID.randomUUID().toString(), paymentId, amount, now());
        repository.insert(refund);
        return refund;
    }

    private Instant now() {
        // Millisecond precision survives every database's timestamp column unchanged.
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** No payment has the id asked for (404). */
    public static final class PaymentNotFoundException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PaymentNotFoundException(String id) {
            super("No payment with id " + id + ".");
        }
    }

    /** A refund larger than what is left of the payment (409). */
    public static final class RefundExceedsPaymentException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** What is left to refund, for the problem details. */
        private final BigDecimal refundable;

        RefundExceedsPaymentException(String paymentId, BigDecimal amount, BigDecimal refundable) {
            super("A refund of " + amount.toPlainString() + " exceeds what is left of payment " + paymentId
                    + " (" + refundable.toPlainString() + ").");
            this.refundable = refundable;
        }

        /**
         * Returns what can still be refunded.
         *
         * @return the amount left
         */
        public BigDecimal refundable() {
            return refundable;
        }
    }
}
