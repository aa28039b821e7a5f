package dev.semel.spring;

import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.springframework.util.ClassUtils;

/**
 * Keeps Semel's warnings in the application's log while the context closes.
 *
 * <p>Semel logs through {@code System.Logger}, which reaches Spring Boot's logging system
 * through {@code java.util.logging} and Boot's SLF4J bridge on the JUL root logger. Boot removes
 * that bridge while the context closes, before the beans are destroyed (spring-boot#33697), so
 * what Semel logged from then on (the engine and the stores closing, the last requests'
 * warnings) went nowhere. When Boot's bridge is installed, Semel's own JUL logger
 * ({@code dev.semel}) gets a bridge of its own, which Boot never removes and which passes a
 * record on only while the root logger has no bridge: until Boot removes its own, records go
 * the usual way (through the root's handlers, any other handler there included) and nothing is
 * printed twice.
 *
 * <p>Nothing happens without jul-to-slf4j, or when the JUL root logger has no SLF4J bridge (the
 * application routes JUL elsewhere, or uses another logging system): Semel's records then go
 * wherever the application sends JUL's.
 */
final class ShutdownLogBridge {
    private static final String BRIDGE = "org.slf4j.bridge.SLF4JBridgeHandler";

    private ShutdownLogBridge() {
    }

    /** Installs the bridge once per JVM, if Boot's bridge is there to mirror. */
    static void install(ClassLoader loader) {
        if (ClassUtils.isPresent(BRIDGE, loader)) {
            Slf4j.install();
        }
    }

    /** Names jul-to-slf4j's classes; loaded only once they are known to be there. */
    private static final class Slf4j {
        /** JUL holds loggers weakly: without this reference, the handler would go with the logger. */
        private static final Logger SEMEL = Logger.getLogger("dev.semel");
        private static final Logger ROOT = Logger.getLogger("");

        static synchronized void install() {
            for (Handler handler : SEMEL.getHandlers()) {
                if (handler instanceof WhileRootUnbridged) {
                    return; // an earlier context of this JVM installed it
                }
            }
            if (hasBridge(ROOT)) {
                SEMEL.addHandler(new WhileRootUnbridged());
            }
        }

        static boolean hasBridge(Logger logger) {
            for (Handler handler : logger.getHandlers()) {
                if (handler instanceof org.slf4j.bridge.SLF4JBridgeHandler) {
                    return true;
                }
            }
            return false;
        }

        /** Boot's bridge once Boot has removed it: passes a record on only while the root logger has none. */
        static final class WhileRootUnbridged extends org.slf4j.bridge.SLF4JBridgeHandler {
            @Override
            public void publish(LogRecord record) {
                if (!hasBridge(ROOT)) {
                    super.publish(record);
                }
            }
        }
    }
}
