package dev.semel;

import dev.semel.spi.StoredResponse;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which exceptions thrown by an operation run through {@link Idempotency#once} are final
 * business outcomes: stored like a result and rethrown on every replay, instead of
 * releasing the key.
 *
 * <p>By default ({@link #NONE}) every exception releases the key, so a retry runs the
 * operation again: right for technical failures (a timeout, a lost connection). Some
 * exceptions are answers, though: "insufficient funds" must not turn into a charge when
 * the client retries after topping up its account with the same key. Name them:
 *
 * <pre>{@code
 * CallOptions options = CallOptions.custom()
 *         .exceptionCodec(ExceptionCodec.storing(InsufficientFundsException.class))
 *         .build();
 * Receipt receipt = idempotency.once(scope, key, payload, receipts, options, () -> payments.charge(order));
 * }</pre>
 *
 * <p>A replay throws a new instance of the same class with the same message (its stack
 * trace is the replay's). Stored exceptions are held to the same rule as results: if one
 * cannot be stored, the first call fails with a clear message, never the replay.
 */
public interface ExceptionCodec {

    /**
     * The header of a stored response that holds an exception, rethrown on replay, rather than
     * a result. Its value names the exception's class.
     */
    String EXCEPTION_HEADER = "Semel-Exception";


    /** Stores no exception: every exception releases the key. */
    ExceptionCodec NONE = new ExceptionCodec() {
        @Override
        public boolean stores(Exception exception) {
            return false;
        }

        @Override
        public byte[] encode(Exception exception) {
            throw new UnsupportedOperationException("ExceptionCodec.NONE stores no exception");
        }

        @Override
        public Exception decode(byte[] bytes) {
            throw new IllegalStateException("The stored outcome is an exception, but this call names no "
                    + "ExceptionCodec to rebuild it (CallOptions.custom().exceptionCodec(...))");
        }

        @Override
        public String toString() {
            return "ExceptionCodec.NONE";
        }
    };

    /**
     * Whether this exception is a final outcome to store.
     *
     * @param exception what the operation threw
     * @return {@code true} to store it and rethrow it on every replay
     */
    boolean stores(Exception exception);

    /**
     * Encodes an exception that {@link #stores} accepted.
     *
     * @param exception the exception
     * @return its bytes
     * @throws IllegalArgumentException if it cannot be stored (the first call fails with it)
     */
    byte[] encode(Exception exception);

    /**
     * Rebuilds a stored exception.
     *
     * @param bytes what {@link #encode} produced
     * @return the exception to throw
     * @throws IllegalStateException if the bytes cannot be rebuilt into an exception this codec
     *     allows (malformed, another type, a class that lost its constructor)
     */
    Exception decode(byte[] bytes);

    /**
     * The stored outcome for an exception this codec {@linkplain #stores stores}: what
     * {@link Idempotency#once} completes the record with, and what any other caller that runs
     * an operation itself (an asynchronous method, say) should store, so that every reader
     * recognises it with {@link #storedException}.
     *
     * @param exception the exception
     * @return the record's response: status 200, a marker header naming the class, the encoded exception
     * @throws IllegalArgumentException if it cannot be stored (from {@link #encode})
     */
    default StoredResponse toStoredResponse(Exception exception) {
        byte[] encoded = encode(exception);
        return StoredResponse.of(200, List.of(new StoredResponse.Header(EXCEPTION_HEADER,
                exception.getClass().getName())), encoded);
    }

    /**
     * The exception a stored outcome holds, rebuilt, if it was written by {@link #toStoredResponse}.
     *
     * @param stored a replayed response
     * @return the exception to rethrow, or empty if the outcome is a result
     */
    default Optional<Exception> storedException(StoredResponse stored) {
        return stored.header(EXCEPTION_HEADER).isPresent()
                ? Optional.of(decode(stored.body())) : Optional.empty();
    }

    /**
     * Stores exceptions of the given types (and their subtypes) by class name and message,
     * and rebuilds them through their public {@code (String)} constructor (or the no-argument
     * one when the message was {@code null}). Only classes assignable to a named type are
     * ever instantiated on replay, whatever the store holds.
     *
     * @param types the business exception types to store
     * @return the codec
     * @throws IllegalArgumentException if no type is given
     */
    @SafeVarargs
    static ExceptionCodec storing(Class<? extends Exception>... types) {
        List<Class<? extends Exception>> named = new java.util.ArrayList<>(types.length);
        for (Class<? extends Exception> type : types) {
            named.add(Objects.requireNonNull(type, "exception type"));
        }
        return new MessageExceptionCodec(List.copyOf(named));
    }
}

/** {@link ExceptionCodec#storing}: class name and message, rebuilt through a constructor. */
final class MessageExceptionCodec implements ExceptionCodec {
    private static final char NO_MESSAGE = '\0';

    private final List<Class<? extends Exception>> types;

    MessageExceptionCodec(List<Class<? extends Exception>> types) {
        if (types.isEmpty()) {
            throw new IllegalArgumentException("name at least one exception type to store");
        }
        this.types = types;
    }

    @Override
    public boolean stores(Exception exception) {
        for (Class<? extends Exception> type : types) {
            if (type.isInstance(exception)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public byte[] encode(Exception exception) {
        Class<?> type = exception.getClass();
        String message = exception.getMessage();
        // Fail now, on the first call, rather than when a replay cannot rebuild it.
        constructor(type, message != null);
        // null is a lone NUL; a message starting with NUL gets one more, so that "\0" stays "\0"
        String stored = message == null ? String.valueOf(NO_MESSAGE)
                : !message.isEmpty() && message.charAt(0) == NO_MESSAGE ? NO_MESSAGE + message : message;
        String text = type.getName() + '\n' + stored;
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Exception decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        if (newline < 0) {
            throw new IllegalStateException("The stored exception is malformed");
        }
        String className = text.substring(0, newline);
        String stored = text.substring(newline + 1);
        boolean hasMessage = !(stored.length() == 1 && stored.charAt(0) == NO_MESSAGE);
        String message = hasMessage && !stored.isEmpty() && stored.charAt(0) == NO_MESSAGE
                ? stored.substring(1) : stored;
        Class<?> type = allowedClass(className);
        try {
            Constructor<?> constructor = constructor(type, hasMessage);
            return (Exception) (hasMessage ? constructor.newInstance(message) : constructor.newInstance());
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException
                | IllegalArgumentException e) {
            throw new IllegalStateException("Cannot rebuild the stored exception " + className + ": " + e.getMessage(),
                    e);
        }
    }

    private Class<?> allowedClass(String className) {
        for (Class<? extends Exception> allowed : types) {
            try {
                Class<?> type = Class.forName(className, false, allowed.getClassLoader());
                if (allowed.isAssignableFrom(type)) {
                    return type;
                }
            } catch (ClassNotFoundException ignored) {
                // try the next named type's class loader
            }
        }
        throw new IllegalStateException("The stored exception " + className
                + " is not one of the types this codec rebuilds: " + types);
    }

    private static Constructor<?> constructor(Class<?> type, boolean withMessage) {
        if (Modifier.isAbstract(type.getModifiers()) || !Modifier.isPublic(type.getModifiers())) {
            throw new IllegalArgumentException("Cannot store exception " + type.getName()
                    + ": its class must be public and concrete so that a replay can rebuild it");
        }
        try {
            return withMessage ? type.getConstructor(String.class) : type.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("Cannot store exception " + type.getName() + ": it needs a public "
                    + (withMessage ? "(String message)" : "no-argument") + " constructor so that a replay can rebuild it",
                    e);
        }
    }

    @Override
    public String toString() {
        return "ExceptionCodec.storing(" + types + ")";
    }
}
