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
                // the engine starts (or shortens) its one lease-renewal ticker: a short lock on the
                // scheduler's queue, once per engine, not a wait for I/O
                .allowBlockingCallsInside("dev.semel.LeaseRenewals", "startTicker")
                .blockingMethodCallback(method -> {
                    List<String> semelFrames = StackWalker.getInstance().walk(frames -> frames
                            .filter(f -> f.getClassName().startsWith("dev.semel")
                                    && !f.getClassName().equals(Blocking.class.getName()))
                            .limit(3).map(f -> f.getClassName() + "#" + f.getMethodName())
                            .toList());
                    if (semelFrames.isEmpty()) {
                        // no Semel code on the stack: not a call Semel made (seen: a lock park inside
                        // Reactor's parallel worker under a loaded machine); reported, not failed
                        System.err.println("BlockHound: a blocking call outside Semel's code, not counted: "
                                + method + " on " + Thread.currentThread().getName() + " at "
                                + StackWalker.getInstance().walk(frames -> frames.skip(1).limit(12)
                                        .map(f -> f.getClassName() + "#" + f.getMethodName()).toList()));
                        return;
                    }
                    FOUND.add(method + " on " + Thread.currentThread().getName() + " in " + semelFrames);
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
