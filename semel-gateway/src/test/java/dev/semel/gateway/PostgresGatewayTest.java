package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.TestEnvironment;
import dev.semel.test.jdbc.TestDatabases;
import dev.semel.test.jdbc.TestPostgres;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gateway with PostgreSQL as its store ({@code semel.store.type=jdbc}): the JDBC store in its
 * non-transactional mode, the gateway's default. PostgreSQL from {@code SEMEL_TEST_POSTGRES_URL},
 * else an embedded server.
 */
class PostgresGatewayTest {
    private static CountingUpstream upstream;
    private static DyingUpstream dying;
    private static TestPostgres.Server embedded;
    private static ConfigurableApplicationContext gateway;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        dying = new DyingUpstream();
        String jdbcUrl = TestEnvironment.variable(TestDatabases.POSTGRES_URL).orElse(null);
        if (jdbcUrl == null) {
            embedded = TestPostgres.startPrivate();
            jdbcUrl = embedded.jdbcUrl();
        }
        gateway = Gateways.start(Gateways.arguments(upstream.url(), dying.url(), List.of(
                "--semel.store.type=jdbc",
                "--spring.datasource.url=" + jdbcUrl,
                "--semel.store.jdbc.table-name=semel_gateway_test",
                "--semel.store.jdbc.initialize-schema=always")));
        url = Gateways.url(gateway);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (embedded != null) {
            embedded.close();
        }
        upstream.close();
        dying.close();
    }

    @Test
    void replaysTheUpstreamResponseFromPostgres() {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> first = send(post(url + "/payments/pg1", key, "{\"amount\":2}"));
        HttpResponse<byte[]> retry = send(post(url + "/payments/pg1", key, "{\"amount\":2}"));

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.body()).isEqualTo(first.body()).isEqualTo(CountingUpstream.body("/payments/pg1", key, 1));
        assertThat(upstream.executions("/payments/pg1", key)).isEqualTo(1);
    }

    @Test
    void anUpstream5xxReleasesTheKeyInPostgres() {
        String key = UUID.randomUUID().toString();
        assertThat(send(post(url + "/flaky/pg2", key, "{}")).statusCode()).isEqualTo(503);
        HttpResponse<byte[]> retry = send(post(url + "/flaky/pg2", key, "{}"));

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(upstream.executions("/flaky/pg2", key)).isEqualTo(2);
    }
}
