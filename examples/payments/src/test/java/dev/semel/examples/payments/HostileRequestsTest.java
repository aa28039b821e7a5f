package dev.semel.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Generated hostile requests against the running payments service (issue 14):
 * malformed and repeated keys, broken, huge, deep and oddly numbered JSON, wrong and broken
 * content types, form and multipart bodies, bogus content encodings, header injection
 * attempts, strange paths and credentials. Every one must get an answer (no hang, no dropped
 * connection), none a 5xx, and every refusal by the application an RFC 9457 problem; the
 * service must then take a normal payment and replay it.
 *
 * <p>Requests a well-behaved client cannot send (control characters in header values, bare
 * line feeds, non-ASCII bytes) go over a raw socket. Those that are not valid HTTP at all are
 * refused by the container's HTTP parser before any application code runs; for them the test
 * asserts a 400 answer but not its format (the container writes it).
 *
 * <p>{@code ./mvnw verify} sends 2,500 (four generators of 625, about half a minute);
 * {@code -Dhostile.full=true} sends 10,000, the size the figures in issue 14's note were taken at.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"payments.provider.latency=0ms", "payments.provider.slow-latency=1ms",
            "logging.level.org.apache.coyote=ERROR", "logging.level.org.apache.tomcat=ERROR"})
class HostileRequestsTest {
    private static final int REQUESTS = Boolean.getBoolean("hostile.full") ? 10_000 : 2_500;
    private static final int THREADS = 4;
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(20);

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1).build();

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url",
                () -> TestDatabases.h2File(Path.of("target", "test-data", "hostile-" + UUID.randomUUID())));
    }

    /** One generated request and what came back. */
    record Exchange(String description, int status, String contentType, String body, boolean protocolInvalid,
            boolean refusesJson) {
    }

    @Test
    void hostileRequestsGetAnswersNoneA5xxAndEveryRefusalAProblem() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = 14_000 + t;
                workers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < REQUESTS / THREADS; i++) {
                        Exchange exchange;
                        try {
                            exchange = random.nextInt(100) < 15 ? raw(random) : wellFormed(random);
                        } catch (Exception e) {
                            failures.add("no answer (" + e + ")");
                            continue;
                        }
                        sent.incrementAndGet();
                        String problem = check(exchange);
                        if (problem != null) {
                            failures.add(problem + ": " + exchange.description() + " -> " + exchange.status() + " "
                                    + exchange.contentType() + " " + abbreviate(exchange.body()));
                        }
                        if (exchange.status() >= 400) {
                            refusals.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(3, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).as("requests that broke a rule (first 20)")
                .satisfies(f -> assertThat(f.subList(0, Math.min(20, f.size()))).isEmpty());
        assertThat(sent.get()).isEqualTo(REQUESTS);
        assertThat(refusals.get()).as("most generated requests are refused").isGreaterThan(REQUESTS / 2);

        // and the service still works
        String key = "after-" + UUID.randomUUID();
        String payment = "{\"amount\":12.50,\"currency\":\"EUR\",\"recipient\":\"bob\"}";
        HttpResponse<String> first = send(post("/payments", payment, "application/json", key, null));
        HttpResponse<String> retry = send(post("/payments", payment, "application/json", key, null));
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.body()).contains("\"amount\":12.50").contains("\"status\":\"SUCCEEDED\"");
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(retry.body()).isEqualTo(first.body());
    }

    private static String check(Exchange e) {
        if (e.status() >= 500) {
            return "5xx";
        }
        if (e.status() < 400) {
            return null;
        }
        if (e.protocolInvalid()) {
            return e.status() == 400 ? null : "protocol error not answered 400";
        }
        if (e.refusesJson()) {
            return null; // the client's Accept rules out (or garbles) application/problem+json: no body to negotiate
        }
        if (e.contentType() == null || !e.contentType().toLowerCase(Locale.ROOT).startsWith("application/problem+json")) {
            return "refusal not a problem document";
        }
        if (!e.body().contains("\"status\":" + e.status()) || !e.body().contains("\"title\"")) {
            return "problem without status or title"; // no "type" member means about:blank (RFC 9457)
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s == null ? null : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    // ------------------------------------------------------------ well-formed HTTP, hostile content

    private HttpRequest post(String path, String body, String contentType, String key, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(ANSWER_WITHIN).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
    }

    private Exchange wellFormed(Random random) throws IOException, InterruptedException {
        String path = pick(random, "/payments", "/payments", "/payments", "/payments/" + UUID.randomUUID() + "/refunds",
                "/payments/%2e%2e/refunds", "/payments/x/refunds", "/nowhere", "/payments?limit=-1",
                "/payments/;jsessionid=x");
        String method = pick(random, "POST", "POST", "POST", "POST", "PATCH", "PUT", "DELETE");
        String contentType = contentType(random);
        byte[] body = body(random, contentType);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(ANSWER_WITHIN);
        HttpRequest.BodyPublisher publisher = random.nextInt(5) == 0
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)) // chunked
                : HttpRequest.BodyPublishers.ofByteArray(body);
        b.method(method, publisher);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (String key : keys(random)) {
            b.header("Idempotency-Key", key);
        }
        String authorization = pick(random, null, null, null, "Basic YWxpY2U6YWxpY2U=", "Basic Ym9iOmJvYg==",
                "Basic YWxpY2U6d3Jvbmc=", "Bearer " + UUID.randomUUID(), "Basic !!!", "Digest x", "");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (random.nextInt(10) == 0) {
            b.header("Content-Encoding", pick(random, "gzip", "deflate", "br", "identity", "x-unknown"));
        }
        String accept = random.nextInt(10) == 0
                ? pick(random, "text/html", "application/xml", "*/*", "application/problem+json", ";;") : null;
        if (accept != null) {
            b.header("Accept", accept);
        }
        String description = method + " " + path + " type=" + contentType + " accept=" + accept + " body=" + abbreviate(
                new String(body, 0, Math.min(body.length, 120), StandardCharsets.ISO_8859_1)) + " (" + body.length
                + " bytes)";
        HttpResponse<String> response = send(b.build());
        return new Exchange(description, response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(null), response.body(), false,
                accept != null && !accept.contains("json") && !accept.contains("*/*"));
    }

    private static List<String> keys(Random random) {
        switch (random.nextInt(12)) {
            case 0:
                return List.of();
            case 1:
                return List.of("k".repeat(256 + random.nextInt(4000)));
            case 2:
                return List.of("a, b");
            case 3:
                return List.of("\"quoted-" + random.nextInt(50) + "\"");
            case 4:
                return List.of("\"unbalanced");
            case 5:
                return List.of("k1", "k2");
            case 6:
                return List.of("   ");
            case 7:
                return List.of("shared-" + random.nextInt(20)); // reused with other bodies: 422s
            case 8:
                return List.of("\"esc\\\"aped\"");
            default:
                return List.of(UUID.randomUUID().toString());
        }
    }

    private static String contentType(Random random) {
        return pick(random, "application/json", "application/json", "application/json", "Application/JSON; charset=UTF-8",
                "application/json; charset=utf-16", "application/merge-patch+json", "application/problem+json",
                "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=XyZ",
                "multipart/form-data", "application/json;;;", "application/octet-stream", "*/*", "garbage", null,
                "application/json; boundary=\"unterminated");
    }

    private static byte[] body(Random random, String contentType) {
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (type.startsWith("multipart") && random.nextBoolean()) {
            String part = random.nextBoolean() ? "{\"amount\":1,\"currency\":\"EUR\",\"recipient\":\"bob\"}"
                    : "x".repeat(random.nextInt(50) == 0 ? 66_000 : random.nextInt(3_000));
            return ("--XyZ\r\nContent-Disposition: form-data; name=\"payment\"\r\nContent-Type: application/json\r\n\r\n"
                    + part + (random.nextBoolean() ? "\r\n--XyZ--\r\n" : "")).getBytes(StandardCharsets.UTF_8);
        }
        if (type.startsWith("application/x-www-form") && random.nextBoolean()) {
            return ("amount=12.50&currency=EUR&recipient=bob&amount=%zz&" + "a=".repeat(random.nextInt(2000)))
                    .getBytes(StandardCharsets.UTF_8);
        }
        int depth = 1 + random.nextInt(random.nextBoolean() ? 120 : 3000);
        switch (random.nextInt(20)) {
            case 0:
                return new byte[0];
            case 1:
                return "[".repeat(depth).getBytes(StandardCharsets.US_ASCII);
            case 2:
                return ("{\"a\":".repeat(depth) + "1" + "}".repeat(depth)).getBytes(StandardCharsets.US_ASCII);
            case 3:
                return ("{\"amount\":" + "9".repeat(1 + random.nextInt(5000)) + ",\"currency\":\"EUR\",\"recipient\":\"bob\"}")
                        .getBytes(StandardCharsets.US_ASCII);
            case 4:
                return "{\"amount\":1e999999999,\"currency\":\"EUR\",\"recipient\":\"bob\"}".getBytes(StandardCharsets.US_ASCII);
            case 5:
                return ("{\"amount\":1,\"currency\":\"EUR\",\"recipient\":\"" + "x".repeat(random.nextInt(50) == 0 ? 70_000 : random.nextInt(5_000)) + "\"}")
                        .getBytes(StandardCharsets.US_ASCII);
            case 6: {
                byte[] garbage = new byte[random.nextInt(2000)];
                random.nextBytes(garbage);
                return garbage;
            }
            case 7:
                return "{\"amount\":1,\"amount\":2,\"currency\":\"EUR\",\"recipient\":\"bob\"}".getBytes(StandardCharsets.US_ASCII);
            case 8:
                return "{\"amount\":\"12.50\",\"currency\":[],\"recipient\":{}}".getBytes(StandardCharsets.US_ASCII);
            case 9:
                return "{\"amount\":12.50,\"currency\":\"EUR\",\"recipient\":\"bob\"".getBytes(StandardCharsets.US_ASCII);
            case 10:
                return "{\"amount\":12.50,\"currency\":\"EUR\",\"recipient\":\"\\ud800\\u0000\"}".getBytes(StandardCharsets.US_ASCII);
            case 11:
                return "{\"amount\":-0.0000001,\"currency\":\"eur\",\"recipient\":\"\"} trailing".getBytes(StandardCharsets.US_ASCII);
            case 12: {
                StringBuilder wide = new StringBuilder("{");
                for (int i = 0, n = random.nextInt(2000); i < n; i++) {
                    wide.append(i == 0 ? "" : ",").append("\"m").append(n - i).append("\":").append(i);
                }
                return wide.append('}').toString().getBytes(StandardCharsets.US_ASCII);
            }
            case 13:
                return "null".getBytes(StandardCharsets.US_ASCII);
            case 14:
                return "{\"amount\":12.5,\"currency\":\"EUR\",\"recipient\":\"slow-bob\"}".getBytes(StandardCharsets.US_ASCII);
            case 15:
                return "{\"amount\":12.5,\"currency\":\"EUR\",\"recipient\":\"decline-bob\"}".getBytes(StandardCharsets.US_ASCII);
            default:
                return ("{\"amount\":" + (1 + random.nextInt(10_000)) / 100.0 + ",\"currency\":\""
                        + pick(random, "EUR", "USD", "XXX", "eur") + "\",\"recipient\":\"r-" + random.nextInt(100) + "\"}")
                        .getBytes(StandardCharsets.US_ASCII);
        }
    }

    // ------------------------------------------------------------ over a raw socket

    private Exchange raw(Random random) throws IOException {
        String body = "{\"amount\":1,\"currency\":\"EUR\",\"recipient\":\"bob\"}";
        String key = UUID.randomUUID().toString();
        boolean protocolInvalid = false;
        String extra;
        switch (random.nextInt(10)) {
            case 0: // injection attempt that is valid HTTP: the value ends and another header starts
                extra = "Idempotency-Key: " + key + "\r\nX-Injected: 1\r\n";
                break;
            case 1: // bare line feed inside a value
                extra = "Idempotency-Key: " + key + "\nSet-Cookie: stolen=1\r\n";
                protocolInvalid = true;
                break;
            case 2: // bare carriage return inside a value
                extra = "Idempotency-Key: a\rb\r\n";
                protocolInvalid = true;
                break;
            case 3: // NUL in a value
                extra = "Idempotency-Key: a\u0000b\r\n";
                protocolInvalid = true;
                break;
            case 4: // non-ASCII bytes in the key (ISO-8859-1 on the wire)
                extra = "Idempotency-Key: cl\u00e9-\u00ff\r\n";
                break;
            case 5: // obsolete line folding
                extra = "Idempotency-Key: folded\r\n  continuation\r\n";
                protocolInvalid = true;
                break;
            case 6: // a second Content-Length that disagrees
                extra = "Idempotency-Key: " + key + "\r\nContent-Length: 3\r\n";
                protocolInvalid = true;
                break;
            case 7: // a header name with a space
                extra = "Idempotency Key: " + key + "\r\n";
                protocolInvalid = true;
                break;
            case 8: // tab and control characters in the key
                extra = "Idempotency-Key: a\tb\u0001c\r\n";
                protocolInvalid = true; // Tomcat refuses control characters other than tab
                break;
            default: // a very long header line
                extra = "Idempotency-Key: " + "k".repeat(random.nextInt(7000)) + "\r\n";
                break;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /payments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n" + extra + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.ISO_8859_1);
            if (!response.startsWith("HTTP/1.1 ")) {
                throw new IOException("the connection was dropped without an answer: '" + abbreviate(response) + "'");
            }
            int status = Integer.parseInt(response.substring(9, 12));
            int end = response.indexOf("\r\n\r\n");
            String head = end < 0 ? response : response.substring(0, end);
            String contentType = null;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
                    contentType = line.substring(13).trim();
                }
            }
            String description = "raw POST /payments with " + abbreviate(extra.replace("\r", "\\r").replace("\n", "\\n"));
            return new Exchange(description, status, contentType, end < 0 ? "" : response.substring(end + 4),
                    protocolInvalid, false);
        }
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... options) {
        return options[random.nextInt(options.length)];
    }
}
