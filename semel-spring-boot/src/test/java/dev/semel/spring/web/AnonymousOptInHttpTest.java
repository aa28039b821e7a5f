package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The opt-ins of {@link UnmarkedAndAnonymousHttpTest}'s application: anonymous callers allowed, a lower JSON depth limit. */
@SpringBootTest(classes = UnmarkedAndAnonymousHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
                "semel.web.allow-anonymous=true",
            "semel.fingerprint.json-max-nesting-depth=5",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class AnonymousOptInHttpTest {
    @LocalServerPort
    int port;

    @Test
    void anonymousCallersShareOneScopeWhenTheApplicationOptsIn() {
        Http http = Http.anonymous(port);
        String key = UUID.randomUUID().toString();
        int before = UnmarkedAndAnonymousHttpTest.Handlers.CHARGES.get();

        Http.Response first = http.post("/charges", "{}", "Idempotency-Key", key);
        Http.Response second = http.post("/charges", "{}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(UnmarkedAndAnonymousHttpTest.Handlers.CHARGES.get() - before).isEqualTo(1);
    }

    @Test
    void theJsonNestingLimitIsConfigurable() {
        Http http = Http.anonymous(port);
        Http.Response deep = http.post("/charges", "[[[[[[1]]]]]]", "Idempotency-Key", UUID.randomUUID().toString());
        Http.Response fine = http.post("/charges", "[[[[[1]]]]]", "Idempotency-Key", UUID.randomUUID().toString());

        assertThat(deep.status()).isEqualTo(400);
        assertThat(deep.json().path("type").asString()).isEqualTo("https://semel.dev/problems/json-too-deep");
        assertThat(fine.status()).isEqualTo(200);
    }
}
