package dev.semel.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.CallOptions;
import dev.semel.ExceptionCodec;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Outcome;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.encryption.ResponseDecryptionException.Reason;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Encryption at rest: what is encrypted, what is authenticated, rotation, and what a caller sees on failure. */
class ResponseEncryptionTest {
    private static final byte[] KEY_1 = HexFormat.of().parseHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] KEY_2 = HexFormat.of().parseHex(
            "f0e0d0c0b0a090807060504030201000f1e1d1c1b1a191817161514131211101");
    private static final String RECORD = "8f3c2b1a00000000000000000000000000000000000000000000000000000001";
    private static final StoredResponse RESPONSE = StoredResponse.of(201,
            List.of(new Header("Content-Type", "application/json"), new Header("Location", "/payments/p_4242"),
                    new Header("X-Card", "4242 4242 4242 4242")),
            "{\"id\":\"p_4242\",\"iban\":\"DE89370400440532013000\"}".getBytes(StandardCharsets.UTF_8));

    private static ResponseEncryption withKeys(String active, Object... idsAndKeys) {
        ResponseEncryption.Builder builder = ResponseEncryption.builder();
        for (int i = 0; i < idsAndKeys.length; i += 2) {
            builder.key((String) idsAndKeys[i], (byte[]) idsAndKeys[i + 1]);
        }
        return builder.activeKey(active).build();
    }

    private static final ResponseEncryption ONE = withKeys("k1", "k1", KEY_1);

    @Test
    void anEncryptedResponseDecryptsToTheSameStatusHeadersAndBody() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        assertThat(ONE.decrypt(RECORD, stored)).isEqualTo(RESPONSE);
    }

    @Test
    void theStoredFormKeepsOnlyTheStatusAndTheKeyIdReadable() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        assertThat(stored.status()).isEqualTo(201);
        assertThat(stored.headers()).containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k1"));
        String raw = new String(stored.body(), StandardCharsets.ISO_8859_1);
        for (String secret : List.of("p_4242", "DE89370400440532013000", "application/json", "Location", "4242 4242")) {
            assertThat(raw).doesNotContain(secret);
        }
    }

    @Test
    void theSameResponseEncryptsDifferentlyEachTimeBecauseEveryNonceIsFresh() {
        assertThat(ONE.encrypt(RECORD, RESPONSE).body()).isNotEqualTo(ONE.encrypt(RECORD, RESPONSE).body());
    }

    @Test
    void aResponseWithoutBodyOrHeadersAndOneNotRetainedSurviveTheRoundTrip() {
        StoredResponse empty = StoredResponse.of(204, List.of(), new byte[0]);
        StoredResponse notRetained = StoredResponse.withoutBody(200, List.of(new Header("a", "b")));
        StoredResponse result = StoredResponse.ofResult(new byte[] {0, -1, 127, -128});
        for (StoredResponse response : List.of(empty, notRetained, result)) {
            assertThat(ONE.decrypt(RECORD, ONE.encrypt(RECORD, response))).isEqualTo(response);
        }
        assertThat(ONE.decrypt(RECORD, ONE.encrypt(RECORD, notRetained)).bodyRetained()).isFalse();
    }

    @Test
    void changingAnyByteOfTheStoredBodyFailsAuthenticationInsteadOfReplayingGarbage() {
        byte[] body = ONE.encrypt(RECORD, RESPONSE).body();
        for (int i = 1; i < body.length; i++) {
            byte[] tampered = body.clone();
            tampered[i] ^= 0x01;
            StoredResponse stored = StoredResponse.of(201, List.of(new Header(ResponseEncryption.MARKER_HEADER, "k1")),
                    tampered);
            assertThatThrownBy(() -> ONE.decrypt(RECORD, stored))
                    .isInstanceOfSatisfying(ResponseDecryptionException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED);
                        assertThat(e.recordId()).isEqualTo(RECORD);
                        assertThat(e.keyId()).isEqualTo("k1");
                    });
        }
    }

    @Test
    void aResponseCopiedToAnotherRecordDoesNotDecryptThere() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        assertThatThrownBy(() -> ONE.decrypt(RECORD.replace('1', '2'), stored))
                .isInstanceOfSatisfying(ResponseDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED));
    }

    @Test
    void aChangedStatusDoesNotAuthenticateAlthoughItIsStoredReadable() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        StoredResponse relabelled = StoredResponse.of(200, stored.headers(), stored.body());
        assertThatThrownBy(() -> ONE.decrypt(RECORD, relabelled))
                .isInstanceOfSatisfying(ResponseDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED));
    }

    @Test
    void aResponseRelabelledWithAnotherConfiguredKeyIdDoesNotAuthenticate() {
        ResponseEncryption both = withKeys("k1", "k1", KEY_1, "k2", KEY_1);
        StoredResponse stored = both.encrypt(RECORD, RESPONSE);
        StoredResponse relabelled = StoredResponse.of(201,
                List.of(new Header(ResponseEncryption.MARKER_HEADER, "k2")), stored.body());
        assertThatThrownBy(() -> both.decrypt(RECORD, relabelled))
                .isInstanceOfSatisfying(ResponseDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED));
    }

    @Test
    void aDifferentKeyUnderTheSameIdFailsAuthentication() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        ResponseEncryption other = withKeys("k1", "k1", KEY_2);
        assertThatThrownBy(() -> other.decrypt(RECORD, stored))
                .isInstanceOfSatisfying(ResponseDecryptionException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION_FAILED);
                    assertThat(e).isInstanceOf(IdempotencyStoreException.class)
                            .hasMessageContaining(RECORD).hasMessageContaining("'k1'");
                });
    }

    @Test
    void aRecordEncryptedWithAKeyThatIsNoLongerConfiguredNamesThatKey() {
        StoredResponse stored = ONE.encrypt(RECORD, RESPONSE);
        ResponseEncryption rotatedOut = withKeys("k2", "k2", KEY_2);
        assertThatThrownBy(() -> rotatedOut.decrypt(RECORD, stored))
                .isInstanceOfSatisfying(ResponseDecryptionException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY);
                    assertThat(e.keyId()).isEqualTo("k1");
                    assertThat(e).hasMessageContaining("'k1'").hasMessageContaining("[k2]");
                });
    }

    @Test
    void afterARotationTheNewKeyEncryptsAndTheOldOneStillDecrypts() {
        StoredResponse beforeRotation = ONE.encrypt(RECORD, RESPONSE);
        ResponseEncryption rotated = withKeys("k2", "k1", KEY_1, "k2", KEY_2);
        StoredResponse afterRotation = rotated.encrypt(RECORD, RESPONSE);
        assertThat(afterRotation.headers()).containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k2"));
        assertThat(rotated.decrypt(RECORD, beforeRotation)).isEqualTo(RESPONSE);
        assertThat(rotated.decrypt(RECORD, afterRotation)).isEqualTo(RESPONSE);
    }

    @Test
    void aPlaintextRecordIsReplayedByDefaultAndRefusedWhenPlaintextIsRefused() {
        assertThat(ONE.decrypt(RECORD, RESPONSE)).isSameAs(RESPONSE);
        ResponseEncryption strict = ResponseEncryption.builder().key("k1", KEY_1).acceptPlaintextRecords(false).build();
        assertThatThrownBy(() -> strict.decrypt(RECORD, RESPONSE))
                .isInstanceOfSatisfying(ResponseDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PLAINTEXT_REFUSED));
    }

    @Test
    void turningEncryptionOffStoresNewResponsesInPlaintextAndStillDecryptsTheOldOnes() {
        StoredResponse old = ONE.encrypt(RECORD, RESPONSE);
        ResponseEncryption off = ResponseEncryption.builder().key("k1", KEY_1).encryptNewRecords(false).build();
        assertThat(off.activeKeyId()).isNull();
        assertThat(off.encrypt(RECORD, RESPONSE)).isSameAs(RESPONSE);
        assertThat(off.decrypt(RECORD, old)).isEqualTo(RESPONSE);
        assertThat(off.decrypt(RECORD, RESPONSE)).isSameAs(RESPONSE);
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", KEY_1).encryptNewRecords(false)
                .acceptPlaintextRecords(false).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTruncatedEnvelopeIsReportedAsMalformed() {
        StoredResponse truncated = StoredResponse.of(201, List.of(new Header(ResponseEncryption.MARKER_HEADER, "k1")),
                new byte[] {1, 2, 3});
        assertThatThrownBy(() -> ONE.decrypt(RECORD, truncated))
                .isInstanceOfSatisfying(ResponseDecryptionException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }

    @Test
    void keysAreReadFromBase64InEitherAlphabetAndFromHex() {
        String base64 = Base64.getEncoder().encodeToString(KEY_1);
        String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(KEY_2);
        ResponseEncryption fromText = ResponseEncryption.builder()
                .key("a", base64).key("b", "base64:" + base64).key("c", "hex:" + HexFormat.of().formatHex(KEY_1))
                .key("d", urlSafe).activeKey("a").build();
        ResponseEncryption fromBytes = withKeys("a", "a", KEY_1, "b", KEY_1, "c", KEY_1, "d", KEY_2);
        for (String id : List.of("a", "b", "c", "d")) {
            StoredResponse stored = withKeys(id, "a", KEY_1, "b", KEY_1, "c", KEY_1, "d", KEY_2).encrypt(RECORD, RESPONSE);
            assertThat(fromText.decrypt(RECORD, stored)).as(id).isEqualTo(RESPONSE);
            assertThat(fromBytes.decrypt(RECORD, fromText.encrypt(RECORD, RESPONSE))).isEqualTo(RESPONSE);
        }
    }

    @Test
    void badKeyConfigurationIsRefusedWithAMessageThatNeverRepeatsTheKey() {
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", "c2VjcmV0").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 6 bytes");
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", "not base64 !secret!").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("secret")
                .hasMessageContaining("neither Base64 nor hex");
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k 1", KEY_1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Key id 'k 1'");
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", KEY_1).key("k1", KEY_2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> ResponseEncryption.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", KEY_1).key("k2", KEY_2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name the active one");
        assertThatThrownBy(() -> ResponseEncryption.builder().key("k1", KEY_1).activeKey("k9").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k9'");
        assertThat(ONE.toString()).doesNotContain(HexFormat.of().formatHex(KEY_1))
                .doesNotContain(Base64.getEncoder().encodeToString(KEY_1));
    }

    @Test
    void keysAreReadFromAPkcs12KeyStoreByAlias() throws Exception {
        KeyGenerator generator = KeyGenerator.getInstance("AES");
        generator.init(256);
        SecretKey current = generator.generateKey();
        char[] password = "changeit".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, password);
        keyStore.setEntry("2026-12", new KeyStore.SecretKeyEntry(current), new KeyStore.PasswordProtection(password));
        keyStore.setEntry("2026-06", new KeyStore.SecretKeyEntry(new SecretKeySpec(KEY_1, "AES")),
                new KeyStore.PasswordProtection(password));
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        keyStore.store(file, password);
        KeyStore loaded = KeyStore.getInstance("PKCS12");
        loaded.load(new ByteArrayInputStream(file.toByteArray()), password);

        ResponseEncryption fromStore = ResponseEncryption.builder()
                .keys(loaded, password, List.of("2026-12", "2026-06")).activeKey("2026-12").build();
        assertThat(fromStore.keyIds()).containsExactlyInAnyOrder("2026-12", "2026-06");
        assertThat(fromStore.decrypt(RECORD, withKeys("2026-06", "2026-06", KEY_1).encrypt(RECORD, RESPONSE)))
                .isEqualTo(RESPONSE);
        assertThat(ResponseEncryption.builder().key("2026-12", current).build()
                .decrypt(RECORD, fromStore.encrypt(RECORD, RESPONSE))).isEqualTo(RESPONSE);
        assertThatThrownBy(() -> ResponseEncryption.builder().keys(loaded, password, List.of("missing")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no key under alias 'missing'");
    }

    // ---------------------------------------------------------------- through the engine

    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-1");
    private static final Fingerprint FINGERPRINT = Fingerprint.of("amount=10".getBytes(StandardCharsets.UTF_8));

    @Test
    void theEngineOverAnEncryptedStoreReplaysTheFirstResponseWhileTheStoreHoldsOnlyCiphertext() {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        AtomicInteger runs = new AtomicInteger();
        try (Idempotency engine = Idempotency.create(ONE.protect(memory))) {
            Outcome first = engine.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            });
            Outcome replay = engine.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            });
            assertThat(first).isInstanceOf(Outcome.Executed.class);
            assertThat(replay).isInstanceOfSatisfying(dev.semel.Decision.Replay.class,
                    r -> assertThat(r.response()).isEqualTo(RESPONSE));
            assertThat(runs).hasValue(1);
            IdempotencyRecord raw = memory.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow();
            assertThat(raw.response().headers()).containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k1"));
            assertThat(new String(raw.response().body(), StandardCharsets.ISO_8859_1)).doesNotContain("p_4242");
            assertThat(raw.key()).isEqualTo("order-1");
        }
    }

    @Test
    void methodResultsAndStoredExceptionsAreEncryptedToo() {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        CallOptions storingDeclines = CallOptions.custom()
                .exceptionCodec(ExceptionCodec.storing(IllegalStateException.class)).build();
        try (Idempotency engine = Idempotency.create(ONE.protect(memory))) {
            assertThat(engine.once(SCOPE, KEY, new byte[] {1}, ResultCodec.utf8(), () -> "receipt for DE89370400"))
                    .isEqualTo("receipt for DE89370400");
            assertThat(engine.once(SCOPE, KEY, new byte[] {1}, ResultCodec.utf8(), () -> "second run"))
                    .isEqualTo("receipt for DE89370400");
            IdempotencyKey declinedKey = IdempotencyKey.of("order-2");
            assertThatThrownBy(() -> engine.once(SCOPE, declinedKey, new byte[] {1}, ResultCodec.utf8(),
                    storingDeclines, () -> {
                        throw new IllegalStateException("card 4242 declined");
                    })).hasMessage("card 4242 declined");
            assertThatThrownBy(() -> engine.once(SCOPE, declinedKey, new byte[] {1}, ResultCodec.utf8(),
                    storingDeclines, () -> "must not run")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("card 4242 declined");
            for (IdempotencyRecord raw : memory.query(RecordQuery.all(), Instant.now())) {
                String bytes = new String(raw.response().body(), StandardCharsets.ISO_8859_1);
                assertThat(bytes).doesNotContain("DE89370400").doesNotContain("4242").doesNotContain("IllegalState");
                assertThat(raw.response().headers()).extracting(Header::name)
                        .containsExactly(ResponseEncryption.MARKER_HEADER);
            }
        }
    }

    @Test
    void aReplayThatCannotBeDecryptedFailsClosedAsAStoreErrorAndNeverRunsTheOperationAgain() {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        AtomicInteger runs = new AtomicInteger();
        try (Idempotency before = Idempotency.create(ONE.protect(memory))) {
            before.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            });
        }
        try (Idempotency wrongKey = Idempotency.create(withKeys("k1", "k1", KEY_2).protect(memory))) {
            assertThatThrownBy(() -> wrongKey.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            })).isInstanceOf(IdempotencyStoreException.class)
                    .hasRootCauseInstanceOf(javax.crypto.AEADBadTagException.class)
                    .satisfies(e -> assertThat(((IdempotencyStoreException) e).retryAfter()).isPresent());
        }
        assertThat(runs).hasValue(1);
    }

    @Test
    void anAdminListingShowsARecordItCannotDecryptAsStoredSoThatItCanBeDeleted() {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        Instant now = Instant.now();
        try (Idempotency engine = Idempotency.create(ONE.protect(memory))) {
            engine.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> RESPONSE);
        }
        IdempotencyStore rotatedOut = withKeys("k2", "k2", KEY_2).protect(memory);
        List<IdempotencyRecord> listed = rotatedOut.query(RecordQuery.all(), now);
        assertThat(listed).singleElement().satisfies(r -> assertThat(r.response().headers())
                .containsExactly(new Header(ResponseEncryption.MARKER_HEADER, "k1")));
        assertThatThrownBy(() -> rotatedOut.find(SCOPE.recordId(KEY), now))
                .isInstanceOf(ResponseDecryptionException.class);
        assertThat(rotatedOut.delete(SCOPE.recordId(KEY))).isTrue();
    }

    @Test
    void aTransactionalStoreStaysTransactionalWhenProtected() {
        assertThat(ONE.protect(new InMemoryIdempotencyStore())).isNotInstanceOf(TransactionalIdempotencyStore.class);
        TransactionalIdempotencyStore transactional = new InMemoryTransactional();
        assertThat(ONE.protect(transactional)).isInstanceOf(TransactionalIdempotencyStore.class);
        assertThatThrownBy(() -> ONE.protect(ONE.protect(new InMemoryIdempotencyStore())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTransactionalStoresReadBeforeItsTransactionIsDecrypted() {
        InMemoryTransactional store = new InMemoryTransactional();
        AtomicInteger runs = new AtomicInteger();
        try (Idempotency engine = Idempotency.create(ONE.protect(store))) {
            engine.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            });
            Outcome replay = engine.execute(SCOPE, KEY, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                runs.incrementAndGet();
                return RESPONSE;
            });

            assertThat(replay).isInstanceOfSatisfying(dev.semel.Decision.Replay.class,
                    r -> assertThat(r.response()).isEqualTo(RESPONSE));
            assertThat(runs).hasValue(1);
            assertThat(store.reads).as("answered by the read before the transaction").hasValue(2);
        }
    }

    /**
     * An in-memory store that claims to be transactional (runs the work as it is) and answers
     * completed records from a read before the transaction.
     */
    private static final class InMemoryTransactional extends dev.semel.spi.ForwardingIdempotencyStore
            implements TransactionalIdempotencyStore {
        final AtomicInteger reads = new AtomicInteger();

        InMemoryTransactional() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public java.util.Optional<IdempotencyRecord> findCompleted(dev.semel.spi.ClaimRequest request) {
            reads.incrementAndGet();
            return find(request.recordId(), request.now())
                    .filter(r -> r.state() == dev.semel.spi.RecordState.COMPLETED);
        }

        @Override
        public boolean findsCompleted() {
            return true;
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            return work.run();
        }
    }
}
