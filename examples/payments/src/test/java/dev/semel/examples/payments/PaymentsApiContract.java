package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The payments API over real HTTP: every endpoint, its validation and its problems. Each
 * subclass runs it against one database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"payments.provider.latency=0ms", "payments.provider.slow-latency=50ms"})
abstract class PaymentsApiContract {
    @LocalServerPort
    int port;
    Api api;

    @BeforeEach
    void connect() {
        api = Api.onPort(port);
    }

    static String key() {
        return UUID.randomUUID().toString();
    }

    static String recipient() {
        return "r-" + UUID.randomUUID();
    }

    @Test
    void createsPaymentWithLocationAndTheFieldsAsked() {
        Api.Reply reply = api.post("/payments", payment("12.50", "EUR", "bob-" + key()), key());

        assertThat(reply.status()).isEqualTo(201);
        JsonNode json = reply.json();
        assertThat(reply.header("Location")).isEqualTo("/payments/" + json.get("id").asString());
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        assertThat(json.get("amount").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(reply.body()).contains("\"amount\":12.50");
        assertThat(json.get("currency").asString()).isEqualTo("EUR");
        assertThat(json.get("recipient").asString()).startsWith("bob-");
        assertThat(json.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(json.get("createdAt").asString()).isNotBlank();
    }

    @Test
    void getsAPaymentByItsLocation() {
        Api.Reply created = api.post("/payments", payment("3", "USD", recipient()), key());

        Api.Reply fetched = api.get(created.header("Location"));

        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.json()).isEqualTo(created.json());
    }

    @Test
    void answersAnUnknownPaymentWithA404Problem() {
        Api.Reply reply = api.get("/payments/" + UUID.randomUUID());

        assertProblem(reply, 404, "payment-not-found");
    }

    @Test
    void listsPaymentsToARecipientNewestFirstWithinThePageSize() {
        String to = recipient();
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(api.post("/payments", payment(i + ".00", "EUR", to), key()).json().get("id").asString());
        }
        api.post("/payments", payment("9", "EUR", recipient()), key());

        JsonNode all = api.get("/payments?recipient=" + to).json();
        JsonNode page = api.get("/payments?recipient=" + to + "&limit=2").json();

        assertThat(all.size()).isEqualTo(3);
        assertThat(all.get(0).get("id").asString()).isEqualTo(ids.get(2));
        assertThat(all.get(2).get("id").asString()).isEqualTo(ids.get(0));
        assertThat(page.size()).isEqualTo(2);
        assertProblem(api.get("/payments?recipient=" + to + "&limit=1000"), 400, "invalid-request");
        assertProblem(api.get("/payments?limit=many"), 400, "invalid-request");
    }

    @Test
    void rejectsInvalidPaymentsWithA400NamingEveryBadField() {
        Api.Reply reply = api.post("/payments", payment("-1.001", "euro", ""), key());

        assertProblem(reply, 400, "invalid-request");
        assertThat(reply.json().get("errors").findValuesAsString("field")).containsExactly("amount", "currency", "recipient");
    }

    @Test
    void checksEachRuleOfAPayment() {
        assertThat(fieldsInError(payment("0", "EUR", "x"))).containsExactly("amount");
        assertThat(fieldsInError(payment("1.234", "EUR", "x"))).containsExactly("amount");
        assertThat(fieldsInError(payment("1e30", "EUR", "x"))).containsExactly("amount");
        assertThat(fieldsInError(payment("1.20", "XYZ", "x"))).containsExactly("currency");
        assertThat(fieldsInError(payment("1.20", "eur", "x"))).containsExactly("currency");
        assertThat(fieldsInError(payment("1.20", "EUR", " "))).containsExactly("recipient");
        assertThat(fieldsInError(payment("1.20", "EUR", "x".repeat(201)))).containsExactly("recipient");
        assertThat(fieldsInError("{}")).containsExactly("amount", "currency", "recipient");
        assertThat(fieldsInError("{\"amount\": \"ten\", \"currency\": \"EUR\", \"recipient\": \"x\"}")).containsExactly("amount");
        assertThat(api.post("/payments", payment("1.20", "EUR", "x".repeat(200)), key()).status()).isEqualTo(201);
    }

    private List<String> fieldsInError(String body) {
        Api.Reply reply = api.post("/payments", body, key());
        assertProblem(reply, 400, "invalid-request");
        return reply.json().get("errors").findValuesAsString("field");
    }

    @Test
    void refundsPartOfAPaymentAndRefusesMoreThanIsLeftWithA409() {
        String paymentId = pay("10.00");

        Api.Reply first = api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 6.00}", key());
        Api.Reply tooMuch = api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 4.01}", key());
        Api.Reply rest = api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 4.00}", key());

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.json().get("paymentId").asString()).isEqualTo(paymentId);
        assertThat(first.body()).contains("\"amount\":6.00");
        assertThat(first.json().get("id").asString()).isNotBlank();
        assertThat(first.json().get("createdAt").asString()).isNotBlank();
        assertProblem(tooMuch, 409, "refund-exceeds-payment");
        assertThat(tooMuch.json().get("refundable").decimalValue()).isEqualByComparingTo("4.00");
        assertThat(rest.status()).isEqualTo(201);
    }

    @Test
    void answersARefundOfAnUnknownPaymentWithA404AndAnInvalidRefundWithA400() {
        assertProblem(api.post("/payments/" + UUID.randomUUID() + "/refunds", "{\"amount\": 1}", key()), 404, "payment-not-found");
        Api.Reply invalid = api.post("/payments/" + pay("5") + "/refunds", "{\"amount\": 0}", key());
        assertProblem(invalid, 400, "invalid-request");
        assertThat(invalid.json().get("errors").findValuesAsString("field")).containsExactly("amount");
    }

    @Test
    void racingRefundsNeverTogetherExceedThePayment() throws Exception {
        String paymentId = pay("10.00");
        int threads = 12;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                statuses.add(pool.submit(() -> {
                    start.await();
                    return api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 2.00}", key()).status();
                }));
            }
            start.countDown();
            List<Integer> seen = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                seen.add(status.get());
            }
            assertThat(seen).filteredOn(s -> s == 201).hasSize(5);
            assertThat(seen).filteredOn(s -> s == 409).hasSize(threads - 5);
        } finally {
            pool.shutdownNow();
        }
        assertProblem(api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 0.01}", key()), 409, "refund-exceeds-payment");
    }

    @Test
    void aDeclinedRecipientIsAnswered402() {
        String to = "declined-" + UUID.randomUUID();

        assertProblem(api.post("/payments", payment("5", "EUR", to), key()), 402, "payment-declined");
        assertThat(api.get("/payments?recipient=" + to).json().size()).isZero();
    }

    @Test
    void aFlakyRecipientFailsOnceWith503AndRetryAfterThenSucceeds() {
        String to = "flaky-" + UUID.randomUUID();

        Api.Reply first = api.post("/payments", payment("5", "EUR", to), key());
        Api.Reply second = api.post("/payments", payment("5", "EUR", to), key());

        assertProblem(first, 503, "provider-unavailable");
        assertThat(first.header("Retry-After")).isEqualTo("1");
        assertThat(second.status()).isEqualTo(201);
        assertThat(api.get("/payments?recipient=" + to).json().size()).isEqualTo(1);
    }

    @Test
    void aSlowRecipientStillSucceeds() {
        assertThat(api.post("/payments", payment("5", "EUR", "slow-" + UUID.randomUUID()), key()).status()).isEqualTo(201);
    }

    @Test
    void demoUsersSignInWithBasicAuthAndWrongPasswordsGetA401Problem() {
        assertThat(api.as("alice").post("/payments", payment("1", "EUR", recipient()), key()).status()).isEqualTo(201);
        assertThat(api.as("bob").get("/payments?limit=1").status()).isEqualTo(200);

        Api.Reply wrong = api.withPassword("alice", "bob").get("/payments?limit=1");

        assertProblem(wrong, 401, "unauthorized");
        assertThat(wrong.header("WWW-Authenticate")).startsWith("Basic");
    }

    @Test
    void badBodiesAndContentTypesGetProblemsNeverA5xx() {
        assertProblem(api.post("/payments", "{\"amount\": ", key()), 400, "invalid-request");
        assertProblem(api.post("/payments", "[1, 2]", key()), 400, "invalid-request");
        assertProblem(api.post("/payments", "null", key()), 400, "invalid-request");
        assertProblem(api.post("/payments", "\u00ff\u00fe garbage", key()), 400, "invalid-request");
        assertThat(api.send(api.request("/payments")
                .header("Content-Type", "multipart/form-data; boundary=x")
                .header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.ofString("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n")))
                .status()).isEqualTo(415);
        assertThat(api.send(api.request("/payments")
                .header("Content-Type", "text/plain")
                .header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.ofString("pay bob")))
                .status()).isEqualTo(415);
        assertThat(api.send(api.request("/payments").header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.noBody())).status()).isBetween(400, 499);
        assertThat(api.send(api.request("/payments").DELETE()).status()).isEqualTo(405);
    }

    @Test
    void hugeBodiesAreRefusedWith413WithOrWithoutAContentLength() {
        String huge = "{\"recipient\": \"" + "x".repeat(200_000) + "\"}";

        Api.Reply withLength = api.post("/payments", huge, key());
        Api.Reply chunked = api.send(api.request("/payments")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(huge.getBytes(java.nio.charset.StandardCharsets.UTF_8)))));

        assertProblem(withLength, 413, "body-too-large");
        assertProblem(chunked, 413, "body-too-large");
    }

    String pay(String amount) {
        Api.Reply reply = api.post("/payments", payment(amount, "EUR", recipient()), key());
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json().get("id").asString();
    }

    static void assertProblem(Api.Reply reply, int status, String type) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(reply.json().get("type").asString()).isEqualTo(ProblemHandler.TYPE_BASE + type);
        assertThat(reply.json().get("status").asInt()).isEqualTo(status);
    }

    static BigDecimal amount(Api.Reply reply) {
        return reply.json().get("amount").decimalValue();
    }
}
