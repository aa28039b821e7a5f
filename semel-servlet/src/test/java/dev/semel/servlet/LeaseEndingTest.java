package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Lease;
import dev.semel.Scope;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a lease ends when the response can no longer be read. */
class LeaseEndingTest {
    private final Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore());
    private final Scope scope = Scope.of("caller", "POST /payments");
    private final IdempotencyKey key = IdempotencyKey.of("k1");
    private final Fingerprint fingerprint = Fingerprint.of("{}".getBytes(StandardCharsets.UTF_8));

    @AfterEach
    void closeEngine() {
        engine.close();
    }

    @Test
    void aTimedOutRequestWhoseResponseTheContainerRecycledStillEndsItsLeaseAndKeepsTheKey() {
        Lease lease = ((Decision.Execute) engine.begin(scope, key, fingerprint)).lease();
        LeaseEnding ending = endingOver(lease, recycled());
        ending.timedOut();

        // Jetty 12 threw "Response does not exist (likely recycled)" from getStatus() here: the lease renewed on
        // and every retry got a 409 until the TTL
        assertThatCode(ending::finished).doesNotThrowAnyException();

        assertThat(lease.isActive()).isFalse();
        Decision retry = engine.begin(scope, key, fingerprint);
        assertThat(retry).isInstanceOf(Decision.Replay.class);
        assertThat(((Decision.Replay) retry).response().bodyRetained()).isFalse();
    }

    @Test
    void aRequestWhoseResponseCannotBeReadAnyMoreStillEndsItsLeaseAndKeepsTheKey() {
        Lease lease = ((Decision.Execute) engine.begin(scope, key, fingerprint)).lease();
        LeaseEnding ending = endingOver(lease, recycled());

        assertThatCode(ending::finished).doesNotThrowAnyException();

        assertThat(lease.isActive()).isFalse();
        assertThat(engine.begin(scope, key, fingerprint))
                .as("the effect may have happened: kept, not released").isInstanceOf(Decision.Replay.class);
    }

    private static LeaseEnding endingOver(Lease lease, HttpServletResponse response) {
        return new LeaseEnding(lease, new CapturingResponse(response, 1024), List.of(), Set.of(), () -> false);
    }

    /** A response as a container leaves it once it recycled the request: every call fails. */
    private static HttpServletResponse recycled() {
        return (HttpServletResponse) Proxy.newProxyInstance(LeaseEndingTest.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("toString")) {
                        return "recycled response";
                    }
                    throw new IllegalStateException("Response does not exist (likely recycled)");
                });
    }
}
