package dev.semel.webflux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * BlockHound, installed once per JVM: a blocking call (a sleep, a lock wait, socket or file
 * I/O) on a thread that must not block (Reactor's non-blocking threads, Netty's event loops:
 * the integrations of reactor-core and Netty say which) is recorded here and fails with
 * {@link BlockingOperationError}. Allowed: logging to the console (the test logger writes to
 * stderr synchronously, which is the test's own business, not the filter's), and the in-memory
 * store's lock, which its asynchronous path takes on the caller's thread by design (no I/O,
 * held for a map update; contended only between requests, never for long).
 */
final class Blocking {
    /** Every blocking call found on a thread that must not block. Must stay empty. */
    static final List<String> FOUND = Collections.synchronizedList(new ArrayList<>());

    static {
        BlockHound.install(builder -> builder
                .allowBlockingCallsInside("org.slf4j.simple.SimpleLogger", "write")
                .allowBlockingCallsInside("java.util.logging.StreamHandler", "publish")
                .allowBlockingCallsInside("dev.semel.InMemoryIdempotencyStore", "claim")
                .allowBlockingCallsInside("dev.semel.InMemoryIdempotencyStore", "complete")
                .allowBlockingCallsInside("dev.semel.InMemoryIdempotencyStore", "release")
                .blockingMethodCallback(method -> {
                    FOUND.add(method + " on " + Thread.currentThread().getName());
                    throw new BlockingOperationError(method);
                }));
    }

    private Blocking() {
    }

    /** Installs BlockHound, if this JVM has not yet. */
    static void install() {
        // the static initializer did it
    }
}
