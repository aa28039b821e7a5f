package dev.semel.spring.method;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Keys derived from a message's content, for messages that carry no id of their own: the same
 * bytes give the same key, so a redelivery or a producer's resend of the same content is a
 * duplicate. Use it in {@code @Idempotent}'s key expression:
 *
 * <pre>
 * &#64;KafkaListener(topics = "legacy-payments")
 * &#64;Idempotent(key = "T(dev.semel.spring.method.PayloadKeys).sha256(#record.value())", scope = "#record.topic()")
 * public void onPayment(ConsumerRecord&lt;String, String&gt; record) { ... }
 * </pre>
 *
 * <p>Only for content that is unique per logical message: two genuinely different payments
 * with identical bodies would be taken for one. Prefer a business id when there is one.
 */
public final class PayloadKeys {
    private PayloadKeys() {
    }

    /**
     * The SHA-256 of a payload, as 64 lowercase hex characters (a valid idempotency key).
     *
     * @param payload a {@code byte[]}, or a {@code CharSequence} (hashed as UTF-8)
     * @return the key
     * @throws IllegalArgumentException if the payload is null or of another type
     */
    public static String sha256(Object payload) {
        byte[] bytes;
        if (payload instanceof byte[] raw) {
            bytes = raw;
        } else if (payload instanceof CharSequence text) {
            bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("PayloadKeys.sha256 takes the message's bytes or text, got "
                    + (payload == null ? "null" : payload.getClass().getName()));
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
