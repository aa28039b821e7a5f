package dev.semel.spring;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import dev.semel.StoreOperation;
import java.time.Duration;
import java.util.List;

/** Passes every event to each listener bean; one failing listener does not stop the next. */
final class CompositeIdempotencyListener implements IdempotencyListener {
    private static final System.Logger LOG = System.getLogger(CompositeIdempotencyListener.class.getName());

    private final List<IdempotencyListener> listeners;

    private CompositeIdempotencyListener(List<IdempotencyListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    static IdempotencyListener of(List<IdempotencyListener> listeners) {
        return switch (listeners.size()) {
            case 0 -> IdempotencyListener.NONE;
            case 1 -> listeners.get(0);
            default -> new CompositeIdempotencyListener(listeners);
        };
    }

    /**
     * A configuration's own listener with every listener bean it does not hold yet: an
     * {@code IdempotencyConfig} of the application's replaces the properties, not the metrics.
     *
     * @param configured the listener the configuration has
     * @param beans the listener beans
     * @return {@code configured} itself when it holds them all already
     */
    static IdempotencyListener including(IdempotencyListener configured, List<IdempotencyListener> beans) {
        List<IdempotencyListener> all = new java.util.ArrayList<>();
        if (configured instanceof CompositeIdempotencyListener composite) {
            all.addAll(composite.listeners);
        } else if (configured != IdempotencyListener.NONE) {
            all.add(configured);
        }
        boolean added = false;
        for (IdempotencyListener bean : beans) {
            if (all.stream().noneMatch(held -> held == bean)) {
                all.add(bean);
                added = true;
            }
        }
        return added ? of(all) : configured;
    }

    @Override
    public void onEvent(IdempotencyEvent event) {
        for (IdempotencyListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Idempotency listener " + listener + " failed", e);
            }
        }
    }

    @Override
    public void onStoreCallStart(StoreOperation operation) {
        for (IdempotencyListener listener : listeners) {
            try {
                listener.onStoreCallStart(operation);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Idempotency listener " + listener + " failed", e);
            }
        }
    }

    @Override
    public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
        for (IdempotencyListener listener : listeners) {
            try {
                listener.onStoreCall(operation, duration, failure);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Idempotency listener " + listener + " failed", e);
            }
        }
    }
}
