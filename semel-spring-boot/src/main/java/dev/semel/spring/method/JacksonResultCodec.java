package dev.semel.spring.method;

import dev.semel.ResultCodec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stores a method's result as JSON with the application's {@link JsonMapper}, written and
 * read as the method's declared (generic) return type. Every encoding is read back at once,
 * so that a result which cannot be stored or rebuilt fails the first call, never a replay.
 */
final class JacksonResultCodec implements ResultCodec<Object> {
    private static final byte[] VOID = new byte[0];

    private final String method;
    private final JavaType type;
    private final ObjectWriter writer;
    private final ObjectReader reader;
    private final long maxSize;
    private final boolean isVoid;

    JacksonResultCodec(JsonMapper mapper, String method, JavaType type, long maxSize) {
        this.method = method;
        this.type = type;
        this.isVoid = type.hasRawClass(void.class) || type.hasRawClass(Void.class);
        this.writer = mapper.writerFor(type);
        this.reader = mapper.readerFor(type);
        this.maxSize = maxSize;
    }

    @Override
    public byte[] encode(Object value) {
        if (isVoid) {
            return VOID;
        }
        byte[] bytes;
        try {
            bytes = writer.writeValueAsBytes(value);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("Cannot store the result of " + method + " (" + type
                    + ") as JSON, so a retry could not replay it: " + e.getOriginalMessage(), e);
        }
        if (bytes.length > maxSize) {
            throw new IllegalArgumentException("The result of " + method + " is " + bytes.length
                    + " bytes of JSON, over semel.method.max-result-size (" + maxSize + " bytes); it was not stored");
        }
        try {
            reader.readValue(bytes);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("The result of " + method + " (" + type
                    + ") can be written as JSON but not read back, so a retry could not replay it: "
                    + e.getOriginalMessage(), e);
        }
        return bytes;
    }

    @Override
    public Object decode(byte[] bytes) {
        if (isVoid) {
            return null;
        }
        return reader.readValue(bytes);
    }
}
