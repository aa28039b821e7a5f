package dev.semel.examples.payments;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;

/**
 * Turns every error into RFC 9457 problem details with a stable {@code type} per situation;
 * Spring MVC's own errors (unknown route, wrong method or media type) come from the base class.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {
    static final String TYPE_BASE = "https://semel.dev/examples/payments/problems/";

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<ProblemDetail> invalid(InvalidRequestException e) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "Fix the fields listed in 'errors' and send the request again.");
        problem.setProperty("errors", e.errors());
        return ResponseEntity.of(problem).build();
    }

    @ExceptionHandler(PaymentService.PaymentNotFoundException.class)
    ResponseEntity<ProblemDetail> notFound(PaymentService.PaymentNotFoundException e) {
        return ResponseEntity.of(problem(HttpStatus.NOT_FOUND, "payment-not-found", "Payment not found", e.getMessage())).build();
    }

    @ExceptionHandler(PaymentService.RefundExceedsPaymentException.class)
    ResponseEntity<ProblemDetail> overRefund(PaymentService.RefundExceedsPaymentException e) {
        ProblemDetail problem = problem(HttpStatus.CONFLICT, "refund-exceeds-payment", "Refund exceeds payment", e.getMessage());
        problem.setProperty("refundable", e.refundable());
        return ResponseEntity.of(problem).build();
    }

    @ExceptionHandler(PaymentProvider.PaymentDeclinedException.class)
    ResponseEntity<ProblemDetail> declined(PaymentProvider.PaymentDeclinedException e) {
        return ResponseEntity.of(problem(HttpStatus.PAYMENT_REQUIRED, "payment-declined", "Payment declined", e.getMessage())).build();
    }

    @ExceptionHandler(PaymentProvider.ProviderUnavailableException.class)
    ResponseEntity<ProblemDetail> unavailable(PaymentProvider.ProviderUnavailableException e) {
        return ResponseEntity.of(problem(HttpStatus.SERVICE_UNAVAILABLE, "provider-unavailable", "Payment provider unavailable", e.getMessage()))
                .header(HttpHeaders.RETRY_AFTER, "1")
                .build();
    }

    /** A multipart body that cannot be parsed (no boundary, truncated): the client's error, not a 500. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> badMultipart(MultipartException e) {
        return ResponseEntity.of(problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "The multipart body cannot be parsed.")).build();
    }

    /**
     * The database cannot be reached (stopped, restarting, its pool exhausted beyond
     * {@code semel.store.timeout}; a pooled connection died mid-transaction, so even the rollback
     * failed): a 503 the client may retry, not a 500. Semel answers the
     * same for keyed requests when its store is down.
     */
    @ExceptionHandler({CannotCreateTransactionException.class, DataAccessResourceFailureException.class,
            TransientDataAccessException.class, TransactionSystemException.class})
    ResponseEntity<ProblemDetail> databaseUnavailable(Exception e) {
        logger.warn("Database unavailable: " + e.getMessage());
        return ResponseEntity.of(problem(HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable", "Database unavailable",
                        "The database cannot be reached right now; retry shortly (with the same Idempotency-Key)."))
                .header(HttpHeaders.RETRY_AFTER, "1")
                .build();
    }

    /**
     * Two executions of one key raced to store the payment (only possible with a store that commits
     * apart from the payment, after a lease was taken over): the loser is told to retry, and its
     * retry gets the payment the winner made.
     */
    @ExceptionHandler(DuplicateKeyException.class)
    ResponseEntity<ProblemDetail> duplicate(DuplicateKeyException e) {
        return ResponseEntity.of(problem(HttpStatus.CONFLICT, "payment-in-progress", "Payment in progress",
                        "This payment is being stored by another request with the same key; retry shortly."))
                .header(HttpHeaders.RETRY_AFTER, "1")
                .build();
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> badParameter(MethodArgumentTypeMismatchException e) {
        return invalid(new InvalidRequestException(Map.of(e.getName(), "is not a valid value")));
    }

    /** A bug or an outage: still problem details, with the cause in the log, not in the answer. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        logger.error("Unexpected error", e);
        return ResponseEntity.of(problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "The request failed on the server; it is safe to retry with the same Idempotency-Key.")).build();
    }

    /** Broken JSON, or a value of the wrong type: named by its JSON path where Jackson knows it. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BodySizeLimitFilter.BodyTooLargeException tooLarge) {
                return ResponseEntity.of(problem(HttpStatus.CONTENT_TOO_LARGE, "body-too-large", "Request body too large",
                        tooLarge.getMessage())).header(HttpHeaders.CONNECTION, "close").build();
            }
        }
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "The body is not the JSON object this endpoint expects.");
        String field = fieldOf(e);
        if (field != null) {
            problem.setProperty("errors", List.of(Map.of("field", field, "message", "has the wrong type or format")));
        }
        return ResponseEntity.of(problem).build();
    }

    private static String fieldOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JacksonException jackson && !jackson.getPath().isEmpty()) {
                List<String> names = new ArrayList<>();
                for (JacksonException.Reference ref : jackson.getPath()) {
                    names.add(ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]");
                }
                return String.join(".", names);
            }
        }
        return null;
    }

    static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + type));
        problem.setTitle(title);
        return problem;
    }
}
