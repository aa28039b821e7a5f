package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** The caller in the scope is Spring Security's principal: one key from two users never collides. */
@SpringBootTest(classes = SpringSecurityScopeHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class SpringSecurityScopeHttpTest {
    @LocalServerPort
    int port;

    @Test
    void theSameKeyFromTwoUsersRunsForEachAndReplaysOnlyToItsOwner() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        int before = Charges.COUNT.get();

        Http.Response alice = http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key, "Authorization",
                basic("alice"));
        Http.Response bob = http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key, "Authorization",
                basic("bob"));
        Http.Response aliceRetry = http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key, "Authorization",
                basic("alice"));

        assertThat(alice.status()).isEqualTo(200);
        assertThat(alice.json().path("user").asString()).isEqualTo("alice");
        assertThat(bob.status()).isEqualTo(200);
        assertThat(bob.header("Idempotent-Replayed")).isNull();
        assertThat(bob.json().path("user").asString()).isEqualTo("bob");
        assertThat(aliceRetry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(aliceRetry.body()).isEqualTo(alice.body());
        assertThat(Charges.COUNT.get() - before).isEqualTo(2);
    }

    @Test
    void anUnauthenticatedRequestIsRefusedBySecurityBeforeTheKeyIsTouched() {
        Http.Response anonymous = new Http(port).post("/charges", "{}", "Idempotency-Key", "k-anon");

        assertThat(anonymous.status()).isEqualTo(401);
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":secret").getBytes(StandardCharsets.UTF_8));
    }

    @RestController
    static class Charges {
        static final AtomicInteger COUNT = new AtomicInteger();

        @Idempotent
        @PostMapping("/charges")
        Map<String, Object> charge(java.security.Principal principal) {
            return Map.of("user", principal.getName(), "charge", COUNT.incrementAndGet());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Charges.class)
    static class App {
        @Bean
        SecurityFilterChain api(HttpSecurity http) {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
                    .httpBasic(Customizer.withDefaults())
                    .csrf(csrf -> csrf.disable())
                    .build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return new InMemoryUserDetailsManager(
                    User.withUsername("alice").password("{noop}secret").roles("USER").build(),
                    User.withUsername("bob").password("{noop}secret").roles("USER").build());
        }
    }
}
