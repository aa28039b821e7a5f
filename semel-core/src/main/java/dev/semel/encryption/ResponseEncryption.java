package dev.semel.encryption;

import dev.semel.IdempotencyStoreException;
import dev.semel.encryption.ResponseDecryptionException.Reason;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Encryption at rest of stored responses with AES-GCM: headers, body and whether the body was
 * retained are encrypted; the status stays readable but is authenticated.
 *
 * <p>Several keys can be configured, each under an id; the {@linkplain Builder#activeKey active}
 * one encrypts, every one decrypts. To rotate: add the new key, make it active, and remove the
 * old one once every record it encrypted has expired (the TTL). Each stored response names the
 * key id it was encrypted with; the record id and that key id are authenticated with it, so a
 * response copied to another record, or relabelled with another key id, fails to decrypt
 * instead of being replayed.
 *
 * <p>{@link #protect} wraps any store, so it works the same on every store:
 *
 * <pre>{@code
 * ResponseEncryption encryption = ResponseEncryption.builder()
 *         .key("2026-12", System.getenv("SEMEL_KEY_2026_12"))   // base64, or "hex:..."
 *         .key("2026-06", System.getenv("SEMEL_KEY_2026_06"))   // still decrypts older records
 *         .activeKey("2026-12")
 *         .build();
 * Idempotency idempotency = Idempotency.create(encryption.protect(store), config);
 * }</pre>
 *
 * <p>What a caller sees when a response cannot be decrypted (unknown key id, wrong key,
 * changed bytes): the store call throws {@link ResponseDecryptionException}, a store failure,
 * so the engine fails closed with a 503 and never replays unauthenticated bytes.
 *
 * <p>Each encryption uses a fresh random 96-bit nonce; rotate the active key well before it
 * has encrypted 2<sup>32</sup> responses.
 */
public final class ResponseEncryption {
    /** The response header that marks an encrypted stored response; its value is the key id. */
    public static final String MARKER_HEADER = "Semel-Encrypted";

    private static final byte FORMAT_VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final byte[] AAD_LABEL = "semel-response-v1".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final int FLAG_BODY_RETAINED = 1;

    private final Map<String, SecretKey> keys;
    private final @Nullable String activeKeyId;
    private final @Nullable SecretKey activeKey;
    private final boolean acceptPlaintext;
    private final boolean encryptNew;
    private final SecureRandom random;
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(ResponseEncryption::newCipher);

    private ResponseEncryption(Builder builder) {
        this.keys = Map.copyOf(builder.keys);
        this.activeKeyId = builder.activeKeyId;
        this.activeKey = activeKeyId == null ? null : keys.get(activeKeyId);
        this.acceptPlaintext = builder.acceptPlaintext;
        this.encryptNew = builder.encryptNew;
        this.random = builder.random != null ? builder.random : new SecureRandom();
    }

    /**
     * Starts a configuration.
     *
     * @return a builder with no key
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Wraps a store so that every response it stores is encrypted and every response it
     * returns is decrypted. A {@link TransactionalIdempotencyStore} stays transactional.
     *
     * @param store the store that holds the records
     * @return the encrypting store
     */
    public IdempotencyStore protect(IdempotencyStore store) {
        Objects.requireNonNull(store, "store");
        if (store instanceof EncryptingIdempotencyStore) {
            throw new IllegalArgumentException("The store is already encrypting: " + store);
        }
        return store instanceof TransactionalIdempotencyStore transactional
                ? new EncryptingIdempotencyStore.EncryptingTransactionalIdempotencyStore(transactional, this)
                : new EncryptingIdempotencyStore(store, this);
    }

    /**
     * Returns the id of the key that encrypts.
     *
     * @return the active key id, or {@code null} when new responses are stored unencrypted
     *     ({@link Builder#encryptNewRecords})
     */
    public @Nullable String activeKeyId() {
        return activeKeyId;
    }

    /**
     * Returns the ids of every key that can decrypt, the active one included.
     *
     * @return the key ids
     */
    public java.util.Set<String> keyIds() {
        return keys.keySet();
    }

    /**
     * Whether a response is in the form {@link #encrypt} produces.
     *
     * @param stored a response as a store holds it
     * @return {@code true} if it is marked as encrypted
     */
    public static boolean isEncrypted(StoredResponse stored) {
        return stored.headers().size() == 1 && stored.headers().get(0).name().equals(MARKER_HEADER);
    }

    /**
     * Encrypts a response for one record with the active key.
     *
     * @param recordId the record it belongs to (authenticated with it)
     * @param response the response as produced
     * @return what the store should hold: the same status, one marker header naming the key id,
     *     and the version, nonce and ciphertext as body; the response itself when new records
     *     are not encrypted ({@link Builder#encryptNewRecords})
     * @throws IdempotencyStoreException if the JDK's cipher fails
     */
    public StoredResponse encrypt(String recordId, StoredResponse response) {
        Objects.requireNonNull(recordId, "recordId");
        if (!encryptNew) {
            return response;
        }
        // build() names an active key whenever new records are encrypted
        String keyId = Objects.requireNonNull(activeKeyId, "activeKeyId");
        SecretKey key = Objects.requireNonNull(activeKey, "activeKey");
        byte[] plaintext = serialize(response);
        byte[] out = new byte[1 + NONCE_BYTES + plaintext.length + TAG_BITS / 8];
        out[0] = FORMAT_VERSION;
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(keyId, recordId, response.status()));
            cipher.doFinal(plaintext, 0, plaintext.length, out, 1 + NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IdempotencyStoreException("Cannot encrypt the response of record " + recordId + " with key '"
                    + keyId + "': " + e.getMessage(), e);
        }
        return StoredResponse.of(response.status(), List.of(new Header(MARKER_HEADER, keyId)), out);
    }

    /**
     * Decrypts what {@link #encrypt} produced for the same record. A response that is not
     * encrypted is returned as it is, unless plaintext is {@linkplain Builder#acceptPlaintextRecords refused}.
     *
     * @param recordId the record it belongs to
     * @param stored the response as the store holds it
     * @return the response as produced
     * @throws ResponseDecryptionException if it cannot be authenticated and decrypted
     */
    public StoredResponse decrypt(String recordId, StoredResponse stored) {
        Objects.requireNonNull(recordId, "recordId");
        if (!isEncrypted(stored)) {
            if (acceptPlaintext) {
                return stored;
            }
            throw new ResponseDecryptionException(Reason.PLAINTEXT_REFUSED, recordId, null,
                    "The response of record " + recordId + " is stored unencrypted, and plaintext records are refused",
                    null);
        }
        String keyId = stored.headers().get(0).value();
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new ResponseDecryptionException(Reason.UNKNOWN_KEY, recordId, keyId,
                    "The response of record " + recordId + " was encrypted with key '" + keyId
                            + "', which is not configured (configured: " + keys.keySet() + ")", null);
        }
        byte[] envelope = stored.body();
        if (!stored.bodyRetained() || envelope.length < 1 + NONCE_BYTES + TAG_BITS / 8
                || envelope[0] != FORMAT_VERSION) {
            throw new ResponseDecryptionException(Reason.MALFORMED, recordId, keyId,
                    "The encrypted response of record " + recordId + " is not in format version " + FORMAT_VERSION
                            + " (" + envelope.length + " bytes)", null);
        }
        byte[] plaintext;
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, envelope, 1, NONCE_BYTES));
            cipher.updateAAD(associatedData(keyId, recordId, stored.status()));
            plaintext = cipher.doFinal(envelope, 1 + NONCE_BYTES, envelope.length - 1 - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new ResponseDecryptionException(Reason.AUTHENTICATION_FAILED, recordId, keyId,
                    "The response of record " + recordId + " does not authenticate with key '" + keyId
                            + "': the key differs from the one that encrypted it, or the stored bytes were changed",
                    e);
        } catch (GeneralSecurityException e) {
            throw new ResponseDecryptionException(Reason.AUTHENTICATION_FAILED, recordId, keyId,
                    "Cannot decrypt the response of record " + recordId + " with key '" + keyId + "': "
                            + e.getMessage(), e);
        }
        try {
            return deserialize(stored.status(), plaintext);
        } catch (RuntimeException e) {
            // authenticated, so only a writer of another format could have produced it
            throw new ResponseDecryptionException(Reason.MALFORMED, recordId, keyId,
                    "The decrypted response of record " + recordId + " is malformed: " + e.getMessage(), e);
        }
    }

    private static byte[] associatedData(String keyId, String recordId, int status) {
        byte[] key = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] record = recordId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer aad = ByteBuffer.allocate(AAD_LABEL.length + 1 + 4 + key.length + 4 + record.length + 4);
        aad.put(AAD_LABEL).put(FORMAT_VERSION)
                .putInt(key.length).put(key)
                .putInt(record.length).put(record)
                .putInt(status);
        return aad.array();
    }

    /** flags, header count, (name length, name, value length, value)*, body: lengths as 4-byte ints. */
    private static byte[] serialize(StoredResponse response) {
        List<Header> headers = response.headers();
        List<byte[]> parts = new ArrayList<>(headers.size() * 2);
        int size = 1 + 4 + 4 + response.bodyLength();
        for (Header h : headers) {
            byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
            byte[] value = h.value().getBytes(StandardCharsets.UTF_8);
            parts.add(name);
            parts.add(value);
            size += 8 + name.length + value.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte) (response.bodyRetained() ? FLAG_BODY_RETAINED : 0));
        out.putInt(headers.size());
        for (byte[] part : parts) {
            out.putInt(part.length).put(part);
        }
        out.putInt(response.bodyLength());
        out.put(response.body());
        return out.array();
    }

    private static StoredResponse deserialize(int status, byte[] plaintext) {
        ByteBuffer in = ByteBuffer.wrap(plaintext);
        try {
            boolean bodyRetained = (in.get() & FLAG_BODY_RETAINED) != 0;
            int count = in.getInt();
            if (count < 0 || count > in.remaining() / 8) {
                throw new IllegalArgumentException("bad header count " + count);
            }
            List<Header> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                headers.add(new Header(string(in), string(in)));
            }
            byte[] body = bytes(in);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return StoredResponse.restore(status, headers, body, bodyRetained);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated", e);
        }
    }

    private static String string(ByteBuffer in) {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("bad length " + length);
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JDK has no " + TRANSFORMATION, e);
        }
    }

    @Override
    public String toString() {
        // never the key material
        return "ResponseEncryption[active=" + activeKeyId + ", keys=" + keys.keySet() + "]";
    }

    /** Collects keys and options; {@link #build} checks them. */
    public static final class Builder {
        private final Map<String, SecretKey> keys = new LinkedHashMap<>();
        private @Nullable String activeKeyId;
        private boolean acceptPlaintext = true;
        private boolean encryptNew = true;
        private @Nullable SecureRandom random;

        private Builder() {
        }

        /**
         * Adds a key.
         *
         * @param id its id, stored with every response it encrypts: 1 to 64 characters among
         *     letters, digits, {@code . _ : -}; never reuse an id for other key material
         * @param key an AES key of 128, 192 or 256 bits
         * @return this builder
         * @throws IllegalArgumentException if the id is invalid or already used, or the key is not AES of a valid size
         */
        public Builder key(String id, SecretKey key) {
            checkId(id);
            Objects.requireNonNull(key, "key");
            byte[] encoded = key.getEncoded();
            SecretKey aes;
            if (encoded == null) {
                // not extractable (a hardware token): use it as it is if it says it is AES
                if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
                    throw new IllegalArgumentException("Key '" + id + "' is a " + key.getAlgorithm()
                            + " key; an AES key is needed");
                }
                aes = key;
            } else {
                aes = aesKey(id, encoded);
                java.util.Arrays.fill(encoded, (byte) 0);
            }
            if (keys.putIfAbsent(id, aes) != null) {
                throw new IllegalArgumentException("Key id '" + id + "' is configured twice");
            }
            return this;
        }

        /**
         * Adds a key given as raw bytes.
         *
         * @param id its id (see {@link #key(String, SecretKey)})
         * @param key 16, 24 or 32 bytes; copied
         * @return this builder
         * @throws IllegalArgumentException if the id is invalid or already used, or the length is wrong
         */
        public Builder key(String id, byte[] key) {
            checkId(id);
            Objects.requireNonNull(key, "key");
            return key(id, aesKey(id, key.clone()));
        }

        /**
         * Adds a key given as text, as it comes from configuration: Base64 (standard or URL-safe
         * alphabet, padding optional), or hexadecimal after a {@code hex:} prefix. A
         * {@code base64:} prefix is allowed too.
         *
         * @param id its id (see {@link #key(String, SecretKey)})
         * @param encoded the key, e.g. the output of {@code openssl rand -base64 32}
         * @return this builder
         * @throws IllegalArgumentException if the text does not decode to 16, 24 or 32 bytes
         */
        public Builder key(String id, String encoded) {
            checkId(id);
            return key(id, decodeKey(id, encoded));
        }

        /**
         * Adds keys from a key store, each under its alias as key id (PKCS12 holds AES keys made
         * with {@code keytool -genseckey -keyalg AES -keysize 256 -storetype PKCS12}).
         *
         * @param keyStore a loaded key store
         * @param password the keys' password
         * @param aliases the aliases of the keys to add
         * @return this builder
         * @throws IllegalArgumentException if an alias is missing or is not an AES secret key
         */
        public Builder keys(KeyStore keyStore, char[] password, List<String> aliases) {
            Objects.requireNonNull(keyStore, "keyStore");
            if (aliases.isEmpty()) {
                throw new IllegalArgumentException("Name at least one key store alias");
            }
            for (String alias : aliases) {
                Key key;
                try {
                    key = keyStore.getKey(alias, password);
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("Cannot read key '" + alias + "' from the key store: "
                            + e.getMessage(), e);
                }
                if (key == null) {
                    throw new IllegalArgumentException("The key store has no key under alias '" + alias + "'");
                }
                if (!(key instanceof SecretKey secret)) {
                    throw new IllegalArgumentException("Key store entry '" + alias + "' is a "
                            + key.getAlgorithm() + " " + key.getClass().getSimpleName()
                            + ", not a secret AES key");
                }
                key(alias, secret);
            }
            return this;
        }

        /**
         * Chooses the key that encrypts new responses; the others only decrypt.
         *
         * @param id a configured key id
         * @return this builder
         */
        public Builder activeKey(String id) {
            this.activeKeyId = Objects.requireNonNull(id, "id");
            return this;
        }

        /**
         * Whether responses stored unencrypted (before encryption was turned on) are replayed.
         * Default {@code true}, so turning encryption on needs no migration; set {@code false}
         * once such records have expired, so that any plaintext record is refused.
         *
         * @param accept whether plaintext records are replayed
         * @return this builder
         */
        public Builder acceptPlaintextRecords(boolean accept) {
            this.acceptPlaintext = accept;
            return this;
        }

        /**
         * Whether new responses are encrypted. Default {@code true}. {@code false} keeps
         * decrypting the records encrypted so far while storing new ones unencrypted: the way to
         * turn encryption off without downtime (remove the keys once those records have expired;
         * a store read without them would replay ciphertext). No active key is needed then.
         *
         * @param encrypt whether new responses are encrypted
         * @return this builder
         */
        public Builder encryptNewRecords(boolean encrypt) {
            this.encryptNew = encrypt;
            return this;
        }

        /**
         * The source of nonces. Default: a new {@link SecureRandom}.
         *
         * @param random a cryptographically strong generator
         * @return this builder
         */
        public Builder secureRandom(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Checks the keys and builds the encryption.
         *
         * @return the encryption
         * @throws IllegalArgumentException if no key or no active key is configured, or the
         *     active key id names no configured key
         */
        public ResponseEncryption build() {
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("Configure at least one encryption key");
            }
            if (!encryptNew && !acceptPlaintext) {
                throw new IllegalArgumentException("New records are stored unencrypted, so plaintext records "
                        + "must be accepted");
            }
            if (activeKeyId == null && !encryptNew) {
                // decrypt only
            } else if (activeKeyId == null) {
                if (keys.size() > 1) {
                    throw new IllegalArgumentException("Several encryption keys are configured " + keys.keySet()
                            + ": name the active one");
                }
                activeKeyId = keys.keySet().iterator().next();
            }
            if (activeKeyId != null && !keys.containsKey(activeKeyId)) {
                throw new IllegalArgumentException("The active encryption key '" + activeKeyId
                        + "' is not among the configured keys " + keys.keySet());
            }
            ResponseEncryption encryption
 = new ResponseEncryption(this);
            // fail at startup, not on the first request, if a key cannot be used by this JDK
            for (Map.Entry<String, SecretKey> key : keys.entrySet()) {
                try {
                    newCipher().init(Cipher.ENCRYPT_MODE, key.getValue(),
                            new GCMParameterSpec(TAG_BITS, new byte[NONCE_BYTES]));
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("Key '" + key.getKey() + "' cannot be used for "
                            + TRANSFORMATION + ": " + e.getMessage(), e);
                }
            }
            return encryption;
        }

        private static void checkId(String id) {
            Objects.requireNonNull(id, "key id");
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("Key id '" + id + "' must be 1 to 64 characters among letters, "
                        + "digits, '.', '_', ':' and '-'");
            }
        }

        private static SecretKey aesKey(String id, byte[] bytes) {
            if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
                throw new IllegalArgumentException("Key '" + id + "' has " + bytes.length
                        + " bytes; an AES key has 16, 24 or 32 (32 recommended)");
            }
            return new SecretKeySpec(bytes, "AES");
        }

        static byte[] decodeKey(String id, String encoded) {
            Objects.requireNonNull(encoded, "encoded key");
            String text = encoded.strip();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("Key '" + id + "' is empty");
            }
            try {
                if (text.regionMatches(true, 0, "hex:", 0, 4)) {
                    return HexFormat.of().parseHex(text.substring(4));
                }
                if (text.regionMatches(true, 0, "base64:", 0, 7)) {
                    text = text.substring(7);
                }
                return text.indexOf('-') >= 0 || text.indexOf('_') >= 0
                        ? Base64.getUrlDecoder().decode(text)
                        : Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                // the message never repeats the key material
                throw new IllegalArgumentException("Key '" + id + "' is neither Base64 nor hex:<hexadecimal>", null);
            }
        }
    }
}
