package dev.semel.spring.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelAutoConfiguration;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A message without an id is deduplicated by a key derived from its content. */
class PayloadKeysTest {

    @Test
    void theSameContentGivesTheSameKeyAsTextOrBytes() {
        String body = "{\"payment\":\"p-1\",\"amount\":10}";
        assertThat(PayloadKeys.sha256(body)).hasSize(64).matches("[0-9a-f]{64}")
                .isEqualTo(PayloadKeys.sha256(body.getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(PayloadKeys.sha256(body + " "));
        assertThatIllegalArgumentException().isThrownBy(() -> PayloadKeys.sha256(42))
                .withMessageContaining("java.lang.Integer");
    }

    @Test
    void aListenerKeyedByThePayloadHashHandlesARedeliveredMessageOnce() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                        SemelMethodAutoConfiguration.class))
                .withPropertyValues("semel.store.type=memory")
                .withBean(Listener.class, Listener::new)
                .run(context -> {
                    Listener listener = context.getBean(Listener.class);
                    String message = "{\"payment\":\"" + UUID.randomUUID() + "\"}";
                    listener.onMessage(message);
                    listener.onMessage(message);
                    assertThat(listener.handled()).isEqualTo(1);
                    listener.onMessage(message.replace("}", ",\"amount\":1}"));
                    assertThat(listener.handled()).isEqualTo(2);
                });
    }

    static class Listener {
        final AtomicInteger handled = new AtomicInteger();

        @Idempotent(key = "T(dev.semel.spring.method.PayloadKeys).sha256(#body)")
        public void onMessage(String body) {
            handled.incrementAndGet();
        }

        public int handled() {
            return handled.get(); // through the proxy: its own fields are not the target's
        }
    }

}
