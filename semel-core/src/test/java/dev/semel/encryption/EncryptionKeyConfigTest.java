package dev.semel.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.spi.StoredResponse;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** How keys are accepted: ids checked for every form, keys that cannot be exported, printing without key material. */
class EncryptionKeyConfigTest {

    /** A key held by a token: the JDK cannot read its bytes. */
    private static SecretKey unexportable(String algorithm) {
        return new SecretKey() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getAlgorithm() {
                return algorithm;
            }

            @Override
            public String getFormat() {
                return null;
            }

            @Override
            public byte[] getEncoded() {
                return null;
            }
        };
    }

    @Test
    void aKeyObjectNeedsAValidId() {
        assertThatThrownBy(() -> ResponseEncryption.builder().key("bad id", new SecretKeySpec(new byte[16], "AES")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad id");
    }

    @Test
    void anUnexportableKeyIsUsedAsItIsOnlyWhenItSaysItIsAes() {
        ResponseEncryption.Builder builder = ResponseEncryption.builder().key("token", unexportable("AES"));
        assertThat(builder).isNotNull();
        assertThatThrownBy(() -> ResponseEncryption.builder().key("token", unexportable("HmacSHA256")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HmacSHA256");
    }

    @Test
    void aUrlSafeBase64KeyDecodesToTheSameKeyAsTheStandardOne() {
        byte[] raw = new byte[32];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (0xF8 + i); // bytes whose Base64 uses '+' and '/' (or '-' and '_')
        }
        String standard = java.util.Base64.getEncoder().encodeToString(raw);
        String urlSafe = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        assertThat(urlSafe).containsAnyOf("-", "_");
        ResponseEncryption a = ResponseEncryption.builder().key("k", standard).build();
        ResponseEncryption b = ResponseEncryption.builder().key("k", urlSafe).build();
        StoredResponse sealed = a.encrypt("r", StoredResponse.of(200, List.of(), new byte[] {1, 2, 3}));
        assertThat(b.decrypt("r", sealed).body()).containsExactly(1, 2, 3);
        assertThat(a).hasToString("ResponseEncryption[active=k, keys=[k]]");
    }
}
