package dev.semel.spring.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The starter in a WebFlux application on Reactor Netty: {@code semel.web.path-patterns} are
 * protected by the WebFlux filter (replay, the caller from Spring Security's principal, the
 * credentials rule) and nothing else is.
 */
@SpringBootTest(classes = WebFluxIdempotencyHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "spring.main.web-application-type=reactive",
            "semel.store.type=memory",
            "semel.web.path-patterns=/payments/**",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class WebFluxIdempotencyHttpTest {
    static final AtomicInteger PAYMENTS = new AtomicInteger();
    static final AtomicInteger PLAIN = new AtomicInteger();
    static final AtomicInteger REFUNDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Test
    void aProtectedPathRunsOnceAndItsRetryIsReplayedByteForByte() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        int before = PAYMENTS.get();

        Http.Response first = http.post("/payments", "{\"amount\":1250}", "Idempotency-Key", key);
        Http.Response replay = http.post("/payments", "{ \"amount\": 1250 }", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.header("X-Payment")).isEqualTo(first.header("X-Payment"));
        assertThat(PAYMENTS.get() - before).isEqualTo(1);
    }

    @Test
    void aPathWithoutAPatternIsNotProtected() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        int before = PLAIN.get();
        http.post("/plain", "{}", "Idempotency-Key", key);
        Http.Response second = http.post("/plain", "{}", "Idempotency-Key", key);
        assertThat(second.header("Idempotent-Replayed")).isNull();
        assertThat(PLAIN.get() - before).isEqualTo(2);
    }

    @Test
    void theSameKeyFromTwoAuthenticatedUsersRunsForEachAndNoCredentialIsRefused() {
        String key = UUID.randomUUID().toString();
        int before = PAYMENTS.get();
        Http.Response alice = Http.anonymous(port).post("/payments", "{}", "Idempotency-Key", key,
                "Authorization", basic("alice"));
        Http.Response bob = Http.anonymous(port).post("/payments", "{}", "Idempotency-Key", key,
                "Authorization", basic("bob"));
        Http.Response aliceAgain = Http.anonymous(port).post("/payments", "{}", "Idempotency-Key", key,
                "Authorization", basic("alice"));
        assertThat(alice.status()).isEqualTo(201);
        assertThat(bob.header("Idempotent-Replayed")).isNull();
        assertThat(aliceAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(PAYMENTS.get() - before).isEqualTo(2);

        Http.Response nobody = Http.anonymous(port).post("/payments", "{}", "Idempotency-Key", key);
        assertThat(nobody.status()).isEqualTo(400);
        assertThat(nobody.body()).contains("https://semel.dev/problems/credentials-required");
        assertThat(PAYMENTS.get() - before).isEqualTo(2);
    }

    @Test
    void anIdempotentHandlerIsProtectedWithoutAPathPatternAndItsRuleApplies() {
        Http http = new Http(port);
        int before = REFUNDS.get();
        Http.Response missing = http.post("/orders/7/refunds", "{\"amount\":5}");
        assertThat(missing.status()).as("@Idempotent(required = true)").isEqualTo(400);
        assertThat(missing.body()).contains("idempotency-key-missing");

        String key = UUID.randomUUID().toString();
        Http.Response first = http.post("/orders/7/refunds", "{\"amount\":5}", "Idempotency-Key", key);
        Http.Response again = http.post("/orders/7/refunds", "{\"amount\":5}", "Idempotency-Key", key);
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(REFUNDS.get() - before).isEqualTo(1);
    }

    @Test
    void theScopeIsTheRouteTemplateSoTheSameKeyOnAnotherOrderIsAReuse() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        assertThat(http.post("/orders/7/refunds", "{\"amount\":5}", "Idempotency-Key", key).status()).isEqualTo(201);

        // the same operation (POST /orders/{id}/refunds) with another target: the key was used already
        Http.Response other = http.post("/orders/8/refunds", "{\"amount\":5}", "Idempotency-Key", key);
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.body()).contains("idempotency-key-reused");
    }

    private static String basic(String user) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":pw")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Controller.class)
    static class App {
        /** Everyone may call; HTTP Basic names the callers who authenticate, anonymous callers stay nameless. */
        @Bean
        SecurityWebFilterChain permitAll(ServerHttpSecurity http) {
            return http.authorizeExchange(e -> e.anyExchange().permitAll())
                    .csrf(ServerHttpSecurity.CsrfSpec::disable)
                    .httpBasic(b -> { })
                    .anonymous(a -> { })
                    .build();
        }

        @Bean
        MapReactiveUserDetailsService users() {
            return new MapReactiveUserDetailsService(
                    User.withUsername("alice").password("{noop}pw").roles("USER").build(),
                    User.withUsername("bob").password("{noop}pw").roles("USER").build());
        }
    }

    @RestController
    static class Controller {
        @PostMapping("/payments")
        Mono<ResponseEntity<String>> pay(@RequestBody String body) {
            int n = PAYMENTS.incrementAndGet();
            return Mono.just(ResponseEntity.status(HttpStatus.CREATED).header("X-Payment", "p-" + n)
                    .body("{\"payment\":" + n + "}"));
        }

        @Idempotent(required = true)
        @PostMapping("/orders/{id}/refunds")
        Mono<ResponseEntity<String>> refund(@PathVariable("id") long id, @RequestBody String body) {
            int n = REFUNDS.incrementAndGet();
            return Mono.just(ResponseEntity.status(HttpStatus.CREATED).body("{\"refund\":" + n + "}"));
        }

        @PostMapping("/plain")
        Mono<String> plain(@RequestBody String body) {
            PLAIN.incrementAndGet();
            return Mono.just("ok");
        }
    }
}
