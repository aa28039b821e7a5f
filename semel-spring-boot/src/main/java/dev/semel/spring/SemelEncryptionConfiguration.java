package dev.semel.spring;

import dev.semel.FailurePolicy;
import dev.semel.encryption.ResponseEncryption;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

/**
 * Builds the {@link ResponseEncryption} from {@code semel.encryption.*} when enabled; the engine
 * then wraps whatever store is in use with it. An application can declare its own
 * {@code ResponseEncryption} bean instead (keys from a vault, say).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "semel.encryption", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(SemelEncryptionProperties.class)
class SemelEncryptionConfiguration {
    private static final Log LOG = LogFactory.getLog(SemelEncryptionConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    ResponseEncryption semelResponseEncryption(SemelEncryptionProperties properties, SemelProperties semel,
            ResourceLoader resources) {
        if (semel.getFailurePolicy() == FailurePolicy.FAIL_OPEN) {
            LOG.warn("semel.encryption is enabled with semel.failure-policy=fail-open: a stored response that "
                    + "cannot be decrypted (a key removed too early, a wrong key) is then treated like an "
                    + "unreachable store and the request runs again, unprotected. Prefer fail-closed (503).");
        }
        return responseEncryption(properties, resources);
    }

    static ResponseEncryption responseEncryption(SemelEncryptionProperties properties, ResourceLoader resources) {
        ResponseEncryption.Builder builder = ResponseEncryption.builder()
                .acceptPlaintextRecords(properties.isAcceptPlaintextRecords())
                .encryptNewRecords(properties.isEncryptNewRecords());
        try {
            properties.getKeys().forEach(builder::key);
            SemelEncryptionProperties.KeyStoreSettings keyStore = properties.getKeyStore();
            if (keyStore.getLocation() != null && !keyStore.getLocation().isBlank()) {
                char[] keyPassword = chars(keyStore.getKeyPassword() != null
                        ? keyStore.getKeyPassword() : keyStore.getPassword());
                builder.keys(load(keyStore, resources), keyPassword, keyStore.getAliases());
            }
            if (properties.getActiveKeyId() != null && !properties.getActiveKeyId().isBlank()) {
                builder.activeKey(properties.getActiveKeyId());
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("semel.encryption is enabled but its keys are not usable: "
                    + e.getMessage() + " (set semel.encryption.keys.<id> or semel.encryption.key-store.*)", e);
        }
    }

    private static KeyStore load(SemelEncryptionProperties.KeyStoreSettings settings, ResourceLoader resources) {
        Resource resource = resources.getResource(settings.getLocation());
        try (InputStream in = resource.getInputStream()) {
            KeyStore keyStore = KeyStore.getInstance(settings.getType());
            keyStore.load(in, chars(settings.getPassword()));
            return keyStore;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load the " + settings.getType() + " key store "
                    + settings.getLocation() + ": " + e.getMessage(), e);
        }
    }

    private static char[] chars(String password) {
        return password == null ? null : password.toCharArray();
    }
}
