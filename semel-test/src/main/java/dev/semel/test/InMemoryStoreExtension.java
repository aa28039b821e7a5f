package dev.semel.test;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test method or constructor a fresh {@link IdempotencyStore} parameter backed by
 * memory: the store tests use when no server matters.
 *
 * <pre>{@code
 * @ExtendWith(InMemoryStoreExtension.class)
 * class MyTest {
 *     @Test
 *     void works(IdempotencyStore store) { ... }
 * }
 * }</pre>
 */
public final class InMemoryStoreExtension implements ParameterResolver {
    /** Creates the extension (JUnit does). */
    public InMemoryStoreExtension() {
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == IdempotencyStore.class || type == InMemoryIdempotencyStore.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return new InMemoryIdempotencyStore();
    }
}
