package dev.semel.examples.consumers;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * The side effect the consumers must not repeat: booking a payment. A real application
 * would write to its database here.
 */
@Component
public class Ledger {
    private final List<PaymentEvent> bookings = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<PaymentEvent>> booked = new ConcurrentHashMap<>();
    private final List<String> failOnce = new CopyOnWriteArrayList<>();

    /**
     * Books a payment, unless it was asked to fail its first attempt (a stand-in for a
     * database that was briefly down).
     *
     * @param event the payment
     */
    public void book(PaymentEvent event) {
        attempts.computeIfAbsent(event.paymentId(), id -> new AtomicInteger()).incrementAndGet();
        if (failOnce.remove(event.paymentId())) {
            throw new IllegalStateException("ledger unavailable while booking " + event.paymentId());
        }
        bookings.add(event);
        booked(event.paymentId()).complete(event);
    }

    /**
     * Makes the next attempt to book this payment fail.
     *
     * @param paymentId the payment
     */
    public void failNextAttempt(String paymentId) {
        failOnce.add(paymentId);
    }

    /**
     * Returns the bookings made, in order.
     *
     * @return every booking
     */
    public List<PaymentEvent> bookings() {
        return List.copyOf(bookings);
    }

    /**
     * Returns how often a handler body ran for a payment (duplicates skipped by Semel never get here).
     *
     * @param paymentId the payment
     * @return the number of attempts to book it
     */
    public int attempts(String paymentId) {
        AtomicInteger count = attempts.get(paymentId);
        return count == null ? 0 : count.get();
    }

    /**
     * Returns how many times a payment was booked.
     *
     * @param paymentId the payment
     * @return the number of bookings
     */
    public long bookingsOf(String paymentId) {
        return bookings.stream().filter(b -> b.paymentId().equals(paymentId)).count();
    }

    /**
     * Completes when a payment is first booked.
     *
     * @param paymentId the payment
     * @return the booking, once made
     */
    public CompletableFuture<PaymentEvent> booked(String paymentId) {
        return booked.computeIfAbsent(paymentId, id -> new CompletableFuture<>());
    }
}
