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
import java.util.concurrent.TimeUnit;
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
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                statuses.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 2.00}", key()).status();
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("every thread parked at the start gate").isTrue();
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

    // ---- Idempotency: the table of DESIGN.md over HTTP ----

    @Test
    void aRetryWithTheSameKeyReplaysTheFirstAnswerByteForByte() {
        String key = key();
        String body = payment("12.50", "EUR", recipient());

        Api.Reply first = api.post("/payments", body, key);
        Api.Reply retry = api.post("/payments", body, key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(first.bytes());
        assertThat(retry.header("Location")).isEqualTo(first.header("Location"));
        assertThat(retry.header("Content-Type")).isEqualTo(first.header("Content-Type"));
        assertThat(paymentsTo(first.json().get("recipient").asString())).isEqualTo(1);
    }

    @Test
    void theSamePaymentSpelledDifferentlyIsStillAReplay() {
        String key = key();
        String to = recipient();
        Api.Reply first = api.post("/payments", "{\"amount\": 12.50, \"currency\": \"EUR\", \"recipient\": \"" + to + "\"}", key);

        Api.Reply retry = api.post("/payments", "{ \"recipient\":\"" + to + "\",\n \"currency\":\"EUR\", \"amount\":12.5 }", key);

        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(first.bytes());
    }

    @Test
    void theSameKeyWithAnotherPaymentIsA422ProblemAndChargesNothing() {
        String key = key();
        String to = recipient();
        api.post("/payments", payment("12.50", "EUR", to), key);

        Api.Reply other = api.post("/payments", payment("99.00", "EUR", to), key);

        assertThat(other.status()).as(other.toString()).isEqualTo(422);
        assertThat(other.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(paymentsTo(to)).isEqualTo(1);
    }

    @Test
    void aPaymentOrRefundWithoutAKeyIsA400Problem() {
        String to = recipient();
        Api.Reply payment = api.post("/payments", payment("1", "EUR", to), null);
        Api.Reply refund = api.post("/payments/" + pay("5") + "/refunds", "{\"amount\": 1}", null);

        assertThat(payment.status()).as(payment.toString()).isEqualTo(400);
        assertThat(payment.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(refund.status()).as(refund.toString()).isEqualTo(400);
        assertThat(paymentsTo(to)).isZero();
    }

    @Test
    void malformedKeysAreA400NeverA5xxOrADroppedConnection() {
        String body = payment("1", "EUR", recipient());
        assertThat(api.post("/payments", body, "x".repeat(256)).status()).isEqualTo(400);
        assertThat(api.post("/payments", body, "").status()).isEqualTo(400);
        assertThat(api.post("/payments", body, "has space\ttab").status()).isEqualTo(400);
        assertThat(RawHttp.post(port, "/payments", "Idempotency-Key: caf\u00e9-\u20ac\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), body))
                .isEqualTo(400);
        assertThat(RawHttp.post(port, "/payments", "Idempotency-Key: \u00ff\u00fe\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), body))
                .isEqualTo(400);
        assertThat(RawHttp.post(port, "/payments", "Idempotency-Key: a\r\nIdempotency-Key: b\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), body))
                .isEqualTo(400);
        assertThat(api.post("/payments", body, "\"sf-string-key-" + key() + "\"").status()).isEqualTo(201);
    }

    @Test
    void aHundredConcurrentDuplicatesMakeExactlyOnePayment() throws Exception {
        String key = key();
        String to = recipient();
        String body = payment("42.00", "EUR", to);
        int threads = 100;
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Api.Reply> replies = new ArrayList<>();
        try {
            List<Future<Api.Reply>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return api.post("/payments", body, key);
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("every thread parked at the start gate").isTrue();
            start.countDown();
            for (Future<Api.Reply> future : futures) {
                replies.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(paymentsTo(to)).isEqualTo(1);
        assertThat(replies).allSatisfy(reply -> assertThat(reply.status()).as(reply.toString()).isIn(201, 409));
        List<Api.Reply> created = replies.stream().filter(r -> r.status() == 201).toList();
        assertThat(created).isNotEmpty();
        assertThat(created).allSatisfy(reply -> assertThat(reply.bytes()).isEqualTo(created.get(0).bytes()));
        assertThat(created.stream().filter(r -> r.header("Idempotent-Replayed") == null)).hasSizeLessThanOrEqualTo(1);
        replies.stream().filter(r -> r.status() == 409).forEach(reply -> assertThat(reply.header("Retry-After")).isNotNull());
        Api.Reply after = api.post("/payments", body, key);
        assertThat(after.bytes()).isEqualTo(created.get(0).bytes());
    }

    @Test
    void aRetriedRefundReplaysAndRefundsOnce() {
        String paymentId = pay("10.00");
        String key = key();

        Api.Reply first = api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 6.00}", key);
        Api.Reply retry = api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 6.00}", key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(first.bytes());
        assertThat(api.post("/payments/" + paymentId + "/refunds", "{\"amount\": 4.00}", key()).status()).isEqualTo(201);
    }

    @Test
    void aRefundKeyReusedOnAnotherPaymentIsA422NotAReplayOfTheFirst() {
        String a = pay("10.00");
        String b = pay("10.00");
        String key = key();
        api.post("/payments/" + a + "/refunds", "{\"amount\": 1.00}", key);

        Api.Reply onB = api.post("/payments/" + b + "/refunds", "{\"amount\": 1.00}", key);

        assertThat(onB.status()).as(onB.toString()).isEqualTo(422);
        assertThat(onB.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(api.post("/payments/" + b + "/refunds", "{\"amount\": 10.00}", key()).status()).isEqualTo(201);
    }

    @Test
    void keysAreScopedPerCallerSoAliceAndBobNeverShareAnAnswer() {
        String key = key();
        String to = recipient();
        String body = payment("7.00", "EUR", to);

        Api.Reply alice = api.as("alice").post("/payments", body, key);
        Api.Reply bob = api.as("bob").post("/payments", body, key);
        Api.Reply anonymous = api.post("/payments", body, key);
        Api.Reply aliceAgain = api.as("alice").post("/payments", body, key);

        assertThat(List.of(alice.status(), bob.status(), anonymous.status())).containsOnly(201);
        assertThat(List.of(alice.json().get("id"), bob.json().get("id"), anonymous.json().get("id"))).doesNotHaveDuplicates();
        assertThat(aliceAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(aliceAgain.bytes()).isEqualTo(alice.bytes());
        assertThat(paymentsTo(to)).isEqualTo(3);
    }

    @Test
    void aDeclinedPaymentIsAFinalAnswerReplayedToItsRetry() {
        String key = key();
        String body = payment("5", "EUR", "declined-" + UUID.randomUUID());

        Api.Reply first = api.post("/payments", body, key);
        Api.Reply retry = api.post("/payments", body, key);

        assertProblem(first, 402, "payment-declined");
        assertThat(retry.status()).isEqualTo(402);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(first.bytes());
    }

    @Test
    void aProviderOutageReleasesTheKeySoItsRetryCharges() {
        String key = key();
        String to = "flaky-" + UUID.randomUUID();
        String body = payment("5", "EUR", to);

        Api.Reply first = api.post("/payments", body, key);
        Api.Reply retry = api.post("/payments", body, key);
        Api.Reply again = api.post("/payments", body, key);

        assertThat(first.status()).isEqualTo(503);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isNull();
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(paymentsTo(to)).isEqualTo(1);
    }

    @Test
    void theRetryDemoEndsWithExactlyAsManyPaymentsAsRequestedThoughAnswersWereDropped() throws Exception {
        java.net.URI server = java.net.URI.create("http://127.0.0.1:" + port);
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server, 0.5, 7)) {
            RetryDemo.Result result = RetryDemo.run(server, proxy, 10);

            assertThat(result.dropped()).isPositive();
            assertThat(result.attempts()).isEqualTo(10 + result.dropped());
            assertThat(result.replayed()).isPositive();
            assertThat(result.onServer()).isEqualTo(10);
        }
    }

    long paymentsTo(String recipient) {
        return api.get("/payments?limit=100&recipient=" + java.net.URLEncoder.encode(recipient, java.nio.charset.StandardCharsets.UTF_8)).json().size();
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
