package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The starter's defaults (DESIGN invariants 6 and 7): without {@code semel.web.path-patterns}
 * only {@code @Idempotent} handlers are protected, and a keyed request without any credential
 * is refused unless {@code semel.web.allow-anonymous} is set.
 */
@SpringBootTest(classes = UnmarkedAndAnonymousHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class UnmarkedAndAnonymousHttpTest {
    @LocalServerPort
    int port;

    @Test
    void anUnannotatedHandlerIsNeverProtectedWhenNoPathPatternIsConfigured() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        int before = Handlers.PLAIN.get();

        Http.Response first = http.post("/plain", "{}", "Idempotency-Key", key);
        Http.Response second = http.post("/plain", "{}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.header("Idempotent-Replayed")).isNull();
        assertThat(Handlers.PLAIN.get() - before).as("ran both times").isEqualTo(2);
    }

    @Test
    void aPathWithoutAHandlerIsNeitherStoredNorReplayed() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();

        Http.Response first = http.post("/nowhere", "{}", "Idempotency-Key", key);
        Http.Response second = http.post("/nowhere", "{}", "Idempotency-Key", key);
        Http.Response wrongMethod = http.put("/plain", "{}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(404);
        assertThat(second.status()).isEqualTo(404);
        assertThat(second.header("Idempotent-Replayed")).isNull();
        assertThat(wrongMethod.status()).isEqualTo(405);
    }

    @Test
    void anAnnotatedHandlerIsProtectedPerCredential() {
        String key = UUID.randomUUID().toString();
        int before = Handlers.CHARGES.get();

        Http.Response one = new Http(port).post("/charges", "{}", "Idempotency-Key", key,
                "Authorization", "Bearer one");
        Http.Response other = new Http(port).post("/charges", "{}", "Idempotency-Key", key,
                "Authorization", "Bearer two");
        Http.Response oneAgain = new Http(port).post("/charges", "{}", "Idempotency-Key", key,
                "Authorization", "Bearer one");

        assertThat(other.header("Idempotent-Replayed")).isNull();
        assertThat(oneAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(oneAgain.body()).isEqualTo(one.body());
        assertThat(Handlers.CHARGES.get() - before).isEqualTo(2);
    }

    @Test
    void aKeyedRequestWithoutAnyCredentialGetsAProblemAndNeverRuns() {
        int before = Handlers.CHARGES.get();

        Http.Response anonymous = Http.anonymous(port).post("/charges", "{}", "Idempotency-Key", "k-anon");

        assertThat(anonymous.status()).isEqualTo(400);
        assertThat(anonymous.header("Content-Type")).startsWith("application/problem+json");
        assertThat(anonymous.json().path("type").asString())
                .isEqualTo("https://semel.dev/problems/credentials-required");
        assertThat(Handlers.CHARGES.get()).isEqualTo(before);
    }

    @RestController
    static class Handlers {
        static final AtomicInteger CHARGES = new AtomicInteger();
        static final AtomicInteger PLAIN = new AtomicInteger();

        @Idempotent
        @PostMapping("/charges")
        Map<String, Object> charge() {
            return Map.of("charge", CHARGES.incrementAndGet());
        }

        @PostMapping("/plain")
        Map<String, Object> plain() {
            return Map.of("n", PLAIN.incrementAndGet());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Handlers.class})
    static class App {
    }
}
