package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Payments and refunds in the database (H2 file by default, PostgreSQL by setting), through
 * Spring's {@link JdbcClient}. The SQL is the common subset of both.
 */
@Repository
class PaymentRepository {
    private final JdbcClient jdbc;

    PaymentRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(Payment payment) {
        insert(payment, null);
    }

    /** Inserts a payment with the reference of the request that made it ({@code null} for none; unique otherwise). */
    void insert(Payment payment, String requestRef) {
        jdbc.sql("INSERT INTO payments (id, amount, currency, recipient, status, created_at, request_ref) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(payment.id(), payment.amount(), payment.currency(), payment.recipient(),
                        payment.status().name(), utc(payment.createdAt()), requestRef)
                .update();
    }

    Optional<Payment> findByRequestRef(String requestRef) {
        return jdbc.sql("SELECT * FROM payments WHERE request_ref = ?").param(requestRef)
                .query(PaymentRepository::payment).optional();
    }

    Optional<Payment> find(String id) {
        return jdbc.sql("SELECT * FROM payments WHERE id = ?").param(id).query(PaymentRepository::payment).optional();
    }

    /** Reads a payment and locks its row until the transaction ends, so refunds to it queue up. */
    Optional<Payment> findForUpdate(String id) {
        return jdbc.sql("SELECT * FROM payments WHERE id = ? FOR UPDATE").param(id).query(PaymentRepository::payment).optional();
    }

    List<Payment> findByRecipient(String recipient, int limit) {
        return jdbc.sql("SELECT * FROM payments WHERE recipient = ? ORDER BY created_at DESC, id DESC LIMIT ?")
                .params(recipient, limit)
                .query(PaymentRepository::payment)
                .list();
    }

    List<Payment> findNewest(int limit) {
        return jdbc.sql("SELECT * FROM payments ORDER BY created_at DESC, id DESC LIMIT ?")
                .param(limit)
                .query(PaymentRepository::payment)
                .list();
    }

    long countByRecipient(String recipient) {
        return jdbc.sql("SELECT COUNT(*) FROM payments WHERE recipient = ?").param(recipient).query(Long.class).single();
    }

    BigDecimal refundedAmount(String paymentId) {
        return jdbc.sql("SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ?")
                .param(paymentId)
                .query(BigDecimal.class)
                .single();
    }

    void insert(Refund refund) {
        jdbc.sql("INSERT INTO refunds (id, payment_id, amount, created_at) VALUES (?, ?, ?, ?)")
                .params(refund.id(), refund.paymentId(), refund.amount(), utc(refund.createdAt()))
                .update();
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Payment payment(ResultSet rs, int row) throws SQLException {
        return new Payment(
                rs.getString("id"),
                rs.getBigDecimal("amount"),
                rs.getString("currency"),
                rs.getString("recipient"),
                Payment.Status.valueOf(rs.getString("status")),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
