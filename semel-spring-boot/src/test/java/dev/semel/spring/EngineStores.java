package dev.semel.spring;

import dev.semel.Idempotency;
import dev.semel.spi.IdempotencyStore;
import java.lang.reflect.Field;

/**
 * The store an engine writes to, for wiring tests that must check it is the very instance the
 * application defined. The engine does not expose its store (operators get
 * {@link Idempotency#admin()}), so this reads the field.
 */
public final class EngineStores {
    private EngineStores() {
    }

    /**
     * Reads the engine's store.
     *
     * @param engine an engine
     * @return the store it was created with
     */
    public static IdempotencyStore of(Idempotency engine) {
        try {
            Field store = Idempotency.class.getDeclaredField("store");
            store.setAccessible(true);
            return (IdempotencyStore) store.get(engine);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Idempotency has no field 'store' any more: update this test helper", e);
        }
    }
}
