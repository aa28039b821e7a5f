package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/**
 * Form and multipart bodies through Spring MVC: Spring's FormContentFilter reads a form
 * PATCH body, and the container parses multipart parts from its stream, both before or
 * after the idempotency filter; the fingerprint must cover the body and the handler must
 * see its fields.
 */
@SpringBootTest(classes = FormAndMultipartHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class FormAndMultipartHttpTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    HttpResponse<String> send(String method, String path, String key, String contentType, String body)
            throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Idempotency-Key", key).header("Content-Type", contentType)
                .header("Authorization", "Bearer form-test-caller") // keyed anonymous requests are refused
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFormPatchReachesTheHandlerWithItsFieldsAndItsBodyIsPartOfTheFingerprint() throws Exception {
        String key = UUID.randomUUID().toString();
        String form = "application/x-www-form-urlencoded";

        HttpResponse<String> first = send("PATCH", "/accounts/7", key, form, "nickname=Ann%20B&limit=500");
        HttpResponse<String> replay = send("PATCH", "/accounts/7", key, form, "nickname=Ann%20B&limit=500");
        HttpResponse<String> other = send("PATCH", "/accounts/7", key, form, "nickname=Eve&limit=9000");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).as("the old order let FormContentFilter consume the body first")
                .isEqualTo("account 7: nickname=Ann B limit=500 execution 1");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(other.statusCode()).as("another body with the same key is a mismatch, not a replay")
                .isEqualTo(422);
    }

    @Test
    void aMultipartPostReachesTheHandlerWithItsPartsAndARetryReplays() throws Exception {
        String key = UUID.randomUUID().toString();
        String boundary = "b-" + key;
        String body = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
                + "monthly\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"receipt\"; filename=\"receipt.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n"
                + "paid 12.50\r\n"
                + "--" + boundary + "--\r\n";
        String type = "multipart/form-data; boundary=" + boundary;

        HttpResponse<String> first = send("POST", "/receipts", key, type, body);
        HttpResponse<String> replay = send("POST", "/receipts", key, type, body);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("note=monthly receipt.txt=paid 12.50 execution 1");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    }

    @RestController
    static class Accounts {
        static final AtomicInteger UPDATES = new AtomicInteger();
        static final AtomicInteger RECEIPTS = new AtomicInteger();

        @Idempotent
        @PatchMapping("/accounts/{id}")
        String update(@PathVariable String id, @RequestParam(required = false) String nickname,
                @RequestParam(required = false) String limit) {
            return "account " + id + ": nickname=" + nickname + " limit=" + limit + " execution "
                    + UPDATES.incrementAndGet();
        }

        @Idempotent
        @PostMapping("/receipts")
        String receipt(@RequestParam String note, @RequestParam MultipartFile receipt) throws IOException {
            return "note=" + note + " " + receipt.getOriginalFilename() + "="
                    + new String(receipt.getBytes(), StandardCharsets.UTF_8) + " execution "
                    + RECEIPTS.incrementAndGet();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Accounts.class})
    static class App {
    }
}
