package dev.semel.spring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Encryption at rest of stored responses ({@code semel.encryption.*}): AES-GCM over headers and
 * body of every stored response and method result, whatever the store.
 *
 * <pre>{@code
 * semel.encryption.enabled=true
 * semel.encryption.active-key-id=k2026-12
 * semel.encryption.keys.k2026-12=${SEMEL_KEY_2026_12}   # openssl rand -base64 32
 * semel.encryption.keys.k2026-06=${SEMEL_KEY_2026_06}   # previous key: still decrypts
 * }</pre>
 */
@ConfigurationProperties(prefix = "semel.encryption")
public class SemelEncryptionProperties {

    /** Whether stored responses are encrypted at rest. Default false. */
    private boolean enabled;

    /**
     * Id of the key that encrypts new responses; every configured key decrypts. Required when more
     * than one key is configured.
     */
    private String activeKeyId;

    /**
     * Keys by id (1 to 64 letters, digits, '_', ':' or '-'), each 128, 192 or 256 bits in Base64, or
     * hexadecimal after "hex:". Keep them out of source control: use environment variables or a
     * secret store.
     */
    private Map<String, String> keys = new LinkedHashMap<>();

    /**
     * Whether responses stored unencrypted (before encryption was enabled) are still replayed.
     * Default true; set false once they have expired so that any plaintext record is refused.
     */
    private boolean acceptPlaintextRecords = true;

    /**
     * Whether new responses are encrypted. Default true; false keeps decrypting what was encrypted
     * while storing new responses unencrypted: how to turn encryption off without downtime.
     */
    private boolean encryptNewRecords = true;

    private final KeyStoreSettings keyStore = new KeyStoreSettings();

    /** @return whether stored responses are encrypted */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether stored responses are encrypted */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the id of the key that encrypts */
    public String getActiveKeyId() {
        return activeKeyId;
    }

    /** @param activeKeyId the id of the key that encrypts */
    public void setActiveKeyId(String activeKeyId) {
        this.activeKeyId = activeKeyId;
    }

    /** @return the keys by id, encoded */
    public Map<String, String> getKeys() {
        return keys;
    }

    /** @param keys the keys by id, encoded */
    public void setKeys(Map<String, String> keys) {
        this.keys = keys;
    }

    /** @return whether plaintext records are replayed */
    public boolean isAcceptPlaintextRecords() {
        return acceptPlaintextRecords;
    }

    /** @param acceptPlaintextRecords whether plaintext records are replayed */
    public void setAcceptPlaintextRecords(boolean acceptPlaintextRecords) {
        this.acceptPlaintextRecords = acceptPlaintextRecords;
    }

    /** @return whether new responses are encrypted */
    public boolean isEncryptNewRecords() {
        return encryptNewRecords;
    }

    /** @param encryptNewRecords whether new responses are encrypted */
    public void setEncryptNewRecords(boolean encryptNewRecords) {
        this.encryptNewRecords = encryptNewRecords;
    }

    /** @return where keys are read from a key store */
    public KeyStoreSettings getKeyStore() {
        return keyStore;
    }

    /** A key store holding AES secret keys, each alias being a key id ({@code semel.encryption.key-store.*}). */
    public static class KeyStoreSettings {
        /** Location of the key store, e.g. file:/etc/semel/keys.p12 or classpath:keys.p12. Default: none. */
        private String location;

        /** Type of the key store. Default PKCS12. */
        private String type = "PKCS12";

        /** Password of the key store. */
        private String password;

        /** Password of the keys in it. Default: the key store's password. */
        private String keyPassword;

        /** Aliases of the keys to use; each alias is the key id stored with what it encrypts. */
        private List<String> aliases = new ArrayList<>();

        /** @return the location */
        public String getLocation() {
            return location;
        }

        /** @param location the location */
        public void setLocation(String location) {
            this.location = location;
        }

        /** @return the type */
        public String getType() {
            return type;
        }

        /** @param type the type */
        public void setType(String type) {
            this.type = type;
        }

        /** @return the password */
        public String getPassword() {
            return password;
        }

        /** @param password the password */
        public void setPassword(String password) {
            this.password = password;
        }

        /** @return the keys' password */
        public String getKeyPassword() {
            return keyPassword;
        }

        /** @param keyPassword the keys' password */
        public void setKeyPassword(String keyPassword) {
            this.keyPassword = keyPassword;
        }

        /** @return the aliases */
        public List<String> getAliases() {
            return aliases;
        }

        /** @param aliases the aliases */
        public void setAliases(List<String> aliases) {
            this.aliases = aliases;
        }
    }
}
