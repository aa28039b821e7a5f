package dev.semel;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Turns an operation's result into bytes to store and back, for
 * {@link Idempotency#once}. The Spring module provides a Jackson codec.
 *
 * @param <T> the result type
 */
public interface ResultCodec<T extends @Nullable Object> {
    /**
     * Encodes a result.
     *
     * @param value the result, possibly {@code null}
     * @return its bytes
     */
    byte[] encode(T value);

    /**
     * Decodes a stored result.
     *
     * @param bytes what {@link #encode} produced
     * @return the result
     */
    T decode(byte[] bytes);

    /**
     * UTF-8 strings ({@code null} is not supported).
     *
     * @return the codec
     */
    static ResultCodec<String> utf8() {
        return new ResultCodec<>() {
            @Override
            public byte[] encode(String value) {
                if (value == null) {
                    throw new IllegalArgumentException("the utf8 codec cannot store null");
                }
                return value.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String decode(byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
            }
        };
    }

    /**
     * Raw bytes, stored as they are.
     *
     * @return the codec
     */
    static ResultCodec<byte[]> bytes() {
        return new ResultCodec<>() {
            @Override
            public byte[] encode(byte[] value) {
                return value.clone();
            }

            @Override
            public byte[] decode(byte[] bytes) {
                return bytes;
            }
        };
    }
}
