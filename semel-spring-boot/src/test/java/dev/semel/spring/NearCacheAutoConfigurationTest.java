package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.nearcache.NearCachingIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code semel.near-cache.*}: off by default; on, the engine's store is wrapped outermost, or the start fails saying why. */
class NearCacheAutoConfigurationTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{}".getBytes(StandardCharsets.UTF_8);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory");

    @Test
    void isOffByDefault() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(SemelNearCacheConfiguration.Wrapper.class);
            assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                    .isSameAs(context.getBean(IdempotencyStore.class));
        });
    }

    @Test
    void whenEnabledTheEngineReplaysFromMemoryWithTheConfiguredBounds() {
        runner.withUserConfiguration(CountedStore.class)
                .withPropertyValues("semel.near-cache.enabled=true", "semel.near-cache.max-entries=500",
                        "semel.near-cache.max-staleness=250ms", "semel.near-cache.max-body-size=2KB")
                .run(context -> {
                    IdempotencyStore engineStore = EngineStores.of(context.getBean(Idempotency.class));
                    assertThat(engineStore).isInstanceOf(NearCachingIdempotencyStore.class);
                    NearCachingIdempotencyStore nearCache = (NearCachingIdempotencyStore) engineStore;
                    assertThat(nearCache.maxEntries()).isEqualTo(500);
                    assertThat(nearCache.maxStaleness()).isEqualTo(Duration.ofMillis(250));
                    assertThat(nearCache.maxBodyBytes()).isEqualTo(2048);

                    Idempotency engine = context.getBean(Idempotency.class);
                    CountingStore store = context.getBean(CountingStore.class);
                    IdempotencyKey key = IdempotencyKey.of("order-1");
                    for (int i = 0; i < 3; i++) {
                        assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt"))
                                .isEqualTo("receipt");
                    }
                    assertThat(store.claims).as("only the first call reached the store").hasValue(1);
                });
    }

    @Test
    void wrapsOutsideEncryptionSoDeletesAndReplaysPassThroughItFirst() {
        runner.withPropertyValues("semel.near-cache.enabled=true", "semel.encryption.enabled=true",
                "semel.encryption.keys.k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").run(context -> {
                    IdempotencyStore engineStore = EngineStores.of(context.getBean(Idempotency.class));
                    assertThat(engineStore).isInstanceOf(NearCachingIdempotencyStore.class);
                    assertThat(engineStore.toString()).startsWith("NearCaching(Encrypting(");
                    assertThat(context).hasSingleBean(ResponseEncryption.class);
                });
    }

    @Test
    void enabledWithoutTheModuleOnTheClassPathFailsTheStartSayingSo() {
        runner.withPropertyValues("semel.near-cache.enabled=true")
                .withClassLoader(new FilteredClassLoader(NearCachingIdempotencyStore.class))
                .run(context -> {
                    FailureAnalysis analysis = analysis(context);
                    assertThat(analysis.getDescription()).contains("semel-near-cache", "not on the class path");
                    assertThat(analysis.getAction()).contains("dev.semel:semel-near-cache",
                            "semel.near-cache.enabled=false");
                });
        runner.withClassLoader(new FilteredClassLoader(NearCachingIdempotencyStore.class))
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void enabledOverATransactionalStoreFailsTheStartSayingWhy() {
        runner.withUserConfiguration(TransactionalStore.class).withPropertyValues("semel.near-cache.enabled=true")
                .run(context -> {
                    FailureAnalysis analysis = analysis(context);
                    assertThat(analysis.getDescription()).contains("transactional");
                    assertThat(analysis.getAction()).contains("semel.store.jdbc.transactional=false");
                });
    }

    @Test
    void badValuesFailTheStartNamingTheProperty() {
        for (String bad : new String[] {"semel.near-cache.max-entries=0", "semel.near-cache.max-staleness=0s",
                "semel.near-cache.max-staleness=-1s", "semel.near-cache.max-body-size=-1B"}) {
            runner.withPropertyValues("semel.near-cache.enabled=true", bad).run(context -> {
                assertThat(context).as(bad).hasFailed();
                String property = bad.substring(0, bad.indexOf('='));
                assertThat(causes(context.getStartupFailure())).as(bad).contains(property.substring("semel.".length()));
            });
        }
    }

    private static String causes(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        FailureAnalysis analysis = new SemelFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }

    /** The store, counting the claims that reach it. */
    static final class CountingStore extends ForwardingIdempotencyStore {
        final AtomicInteger claims = new AtomicInteger();

        CountingStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.incrementAndGet();
            return super.claim(request);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CountedStore {
        @Bean
        CountingStore countingStore() {
            return new CountingStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionalStore {
        @Bean
        IdempotencyStore transactionalStore() {
            return new Transactional();
        }
    }

    /** A transactional store in name: enough for the wiring to refuse it. */
    static final class Transactional extends ForwardingIdempotencyStore implements TransactionalIdempotencyStore {
        Transactional() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            return work.run();
        }
    }
}
