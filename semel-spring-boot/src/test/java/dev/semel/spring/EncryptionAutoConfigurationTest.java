package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import dev.semel.test.jdbc.TestDatabases;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcTransactionManager;

/** {@code semel.encryption.*}: the engine's store is wrapped, whatever it is, and bad keys stop the start. */
@ExtendWith(OutputCaptureExtension.class)
class EncryptionAutoConfigurationTest {
    private static final String KEY_1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String KEY_2_HEX = "hex:f0e0d0c0b0a090807060504030201000f1e1d1c1b1a191817161514131211101";
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-1");
    private static final StoredResponse RESPONSE = StoredResponse.of(201,
            List.of(new Header("Content-Type", "application/json")),
            "{\"iban\":\"DE89370400440532013000\"}".getBytes(StandardCharsets.UTF_8));

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class));

    @Test
    void encryptionIsOffByDefaultAndTheEngineUsesTheStoreAsItIs() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(ResponseEncryption.class);
            assertThat(EngineStores.of(context.getBean(Idempotency.class))).isSameAs(context.getBean(IdempotencyStore.class));
        });
    }

    @Test
    void withKeysFromPropertiesTheStoreHoldsCiphertextAndTheEngineReplaysPlaintext() {
        runner.withPropertyValues("semel.encryption.enabled=true", "semel.encryption.active-key-id=k2",
                "semel.encryption.keys.k1=" + KEY_1, "semel.encryption.keys.k2=" + KEY_2_HEX).run(context -> {
                    assertThat(context.getBean(ResponseEncryption.class).keyIds()).containsExactlyInAnyOrder("k1", "k2");
                    Idempotency engine = context.getBean(Idempotency.class);
                    InMemoryIdempotencyStore raw = context.getBean(InMemoryIdempotencyStore.class);
                    assertThat(EngineStores.of(engine)).isNotSameAs(raw);
                    assertThat(runTwice(engine)).isEqualTo(RESPONSE);
                    IdempotencyRecord stored = raw.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow();
                    assertThat(stored.response().headers())
                            .containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k2"));
                    assertThat(new String(stored.response().body(), StandardCharsets.ISO_8859_1))
                            .doesNotContain("DE89370400440532013000");
                });
    }

    @Test
    void theTransactionalJdbcStoreIsWrappedAndStaysTransactional() {
        runner.withUserConfiguration(H2.class, TransactionManager.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_enc", "semel.encryption.enabled=true",
                        "semel.encryption.keys.k1=" + KEY_1)
                .run(context -> {
                    Idempotency engine = context.getBean(Idempotency.class);
                    TransactionalJdbcIdempotencyStore raw = context.getBean(TransactionalJdbcIdempotencyStore.class);
                    assertThat(EngineStores.of(engine)).isNotSameAs(raw).isInstanceOf(TransactionalIdempotencyStore.class);
                    assertThat(runTwice(engine)).isEqualTo(RESPONSE);
                    assertThat(raw.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().response().headers())
                            .containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k1"));
                });
    }

    @Test
    void theRedisStoreIsWrapped() {
        runner.withUserConfiguration(Redis.class).withPropertyValues("semel.store.type=redis",
                "semel.store.redis.key-prefix=semel-enc-ctx-" + java.util.UUID.randomUUID() + ":",
                "semel.encryption.enabled=true", "semel.encryption.keys.k1=" + KEY_1).run(context -> {
                    Idempotency engine = context.getBean(Idempotency.class);
                    RedisIdempotencyStore raw = context.getBean(RedisIdempotencyStore.class);
                    assertThat(runTwice(engine)).isEqualTo(RESPONSE);
                    assertThat(raw.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().response().headers())
                            .containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k1"));
                    raw.delete(SCOPE.recordId(KEY));
                });
    }

    @Test
    void encryptionWithFailOpenWarnsThatAnUndecryptableRecordWouldRunTheRequestAgain(CapturedOutput output) {
        runner.withPropertyValues("semel.encryption.enabled=true", "semel.encryption.keys.k1=" + KEY_1,
                "semel.failure-policy=fail-open").run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(output).contains("semel.failure-policy=fail-open");
                });
        runner.withPropertyValues("semel.encryption.enabled=true", "semel.encryption.keys.k1=" + KEY_1)
                .run(context -> assertThat(output).containsOnlyOnce("semel.failure-policy=fail-open"));
    }

    @Test
    void keysComeFromAKeyStoreByAlias(@TempDir Path dir) throws Exception {
        char[] password = "store-secret".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, password);
        keyStore.setEntry("current", new KeyStore.SecretKeyEntry(new SecretKeySpec(new byte[32], "AES")),
                new KeyStore.PasswordProtection(password));
        Path file = dir.resolve("semel-keys.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            keyStore.store(out, password);
        }
        runner.withPropertyValues("semel.encryption.enabled=true",
                "semel.encryption.key-store.location=" + file.toUri(),
                "semel.encryption.key-store.password=store-secret",
                "semel.encryption.key-store.aliases=current").run(context -> {
                    assertThat(context.getBean(ResponseEncryption.class).activeKeyId()).isEqualTo("current");
                    assertThat(runTwice(context.getBean(Idempotency.class))).isEqualTo(RESPONSE);
                });
    }

    @Test
    void enablingEncryptionWithoutUsableKeysStopsTheStartWithTheReason() {
        runner.withPropertyValues("semel.encryption.enabled=true").run(context -> assertThat(context)
                .hasFailed().getFailure().rootCause().hasMessageContaining("at least one encryption key"));
        runner.withPropertyValues("semel.encryption.enabled=true", "semel.encryption.keys.k1=c2hvcnQ=")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("semel.encryption is enabled but its keys are not usable")
                        .hasStackTraceContaining("Key 'k1' has 5 bytes"));
        runner.withPropertyValues("semel.encryption.enabled=true", "semel.encryption.keys.k1=" + KEY_1,
                "semel.encryption.active-key-id=k9").run(context -> assertThat(context).hasFailed()
                .getFailure().hasStackTraceContaining("'k9'"));
    }

    @Configuration(proxyBeanMethods = false)
    static class H2 {
        @Bean(destroyMethod = "")
        DataSource dataSource() {
            return TestDatabases.h2("semel-spring-encryption");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionManager {
        @Bean
        JdbcTransactionManager transactionManager(DataSource dataSource) {
            return new JdbcTransactionManager(dataSource);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Redis {
        @Bean(destroyMethod = "shutdown")
        RedisClient redisClient() {
            return RedisClient.create(TestRedis.url());
        }
    }

    private static StoredResponse runTwice(Idempotency engine) {
        Fingerprint fingerprint = Fingerprint.of(new byte[] {1});
        engine.execute(SCOPE, KEY, fingerprint, CallOptions.DEFAULTS, lease -> RESPONSE);
        Object replay = engine.execute(SCOPE, KEY, fingerprint, CallOptions.DEFAULTS, lease -> {
            throw new AssertionError("a replay must not run the operation");
        });
        return ((Decision.Replay) replay).response();
    }
}
