package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyListener;
import dev.semel.Scope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Listener beans (the Micrometer metrics and observations among them) hear the engine whether
 * Semel builds the configuration or the application declares its own {@code IdempotencyConfig},
 * and each hears every event once.
 */
class ListenerWiringTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory")
            .withUserConfiguration(Listening.class);

    @Test
    void listenerBeansHearTheEngineSemelConfigures() {
        runner.run(context -> assertThat(eventsOfOneExecution(context.getBean(Idempotency.class),
                context.getBean(Listening.class))).containsExactly(IdempotencyEvent.Type.EXECUTED,
                        IdempotencyEvent.Type.RELEASED));
    }

    @Test
    void listenerBeansStillHearTheEngineWhenTheApplicationDeclaresItsOwnConfiguration() {
        runner.withUserConfiguration(OwnConfig.class).run(context -> {
            Idempotency engine = context.getBean(Idempotency.class);
            assertThat(engine.config().ttl()).isEqualTo(Duration.ofMinutes(7));
            assertThat(eventsOfOneExecution(engine, context.getBean(Listening.class)))
                    .containsExactly(IdempotencyEvent.Type.EXECUTED, IdempotencyEvent.Type.RELEASED);
            assertThat(context.getBean(OwnConfig.class).ownEvents).hasSize(2);
        });
    }

    private static List<IdempotencyEvent.Type> eventsOfOneExecution(Idempotency engine, Listening listening) {
        Decision decision = engine.begin(Scope.of("alice", "POST /x"), IdempotencyKey.of("listened-" + System.nanoTime()),
                Fingerprint.of(new byte[0]), CallOptions.DEFAULTS);
        ((Decision.Execute) decision).lease().release();
        return listening.events.stream().map(IdempotencyEvent::type).toList();
    }

    private static IdempotencyListener recording(List<IdempotencyEvent> events) {
        return new IdempotencyListener() {
            @Override
            public void onEvent(IdempotencyEvent event) {
                events.add(event);
            }
        };
    }

    @Configuration(proxyBeanMethods = false)
    static class Listening {
        final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();

        @Bean
        IdempotencyListener recordingListener() {
            return recording(events);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnConfig {
        final List<IdempotencyEvent> ownEvents = new CopyOnWriteArrayList<>();

        @Bean
        IdempotencyConfig applicationsOwnConfig() {
            return IdempotencyConfig.custom().ttl(Duration.ofMinutes(7)).listener(recording(ownEvents)).build();
        }
    }
}
