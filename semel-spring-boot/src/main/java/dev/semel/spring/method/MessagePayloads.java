package dev.semel.spring.method;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Replaces broker message wrappers by what identifies their content, for the payload
 * fingerprint: a redelivery carries other delivery metadata (offset, delivery tag, the
 * redelivered flag, timestamps) and must still match the first delivery. Only classes
 * present on the class path are looked at; nothing here needs Kafka or RabbitMQ to compile.
 */
final class MessagePayloads {
    private final List<Extractor> extractors = new ArrayList<>();

    MessagePayloads(ClassLoader loader) {
        add(loader, "org.apache.kafka.clients.consumer.ConsumerRecord", "topic", "key", "value");
        add(loader, "org.springframework.amqp.core.Message", "getBody");
        add(loader, "org.springframework.messaging.Message", "getPayload");
    }

    private void add(ClassLoader loader, String className, String... accessors) {
        if (!ClassUtils.isPresent(className, loader)) {
            return;
        }
        Class<?> type = ClassUtils.resolveClassName(className, loader);
        List<Method> methods = new ArrayList<>();
        for (String accessor : accessors) {
            Method method = ReflectionUtils.findMethod(type, accessor);
            if (method == null) {
                return; // an unknown version of that library: leave its objects as they are
            }
            methods.add(method);
        }
        extractors.add(new Extractor(type, methods));
    }

    /** The content of a message wrapper, or the argument itself. */
    Object contentOf(Object arg) {
        if (arg == null) {
            return null;
        }
        for (Extractor extractor : extractors) {
            if (extractor.type.isInstance(arg)) {
                if (extractor.accessors.size() == 1) {
                    return ReflectionUtils.invokeMethod(extractor.accessors.get(0), arg);
                }
                Map<String, Object> content = new LinkedHashMap<>();
                for (Method accessor : extractor.accessors) {
                    content.put(accessor.getName(), ReflectionUtils.invokeMethod(accessor, arg));
                }
                return content;
            }
        }
        return arg;
    }

    private record Extractor(Class<?> type, List<Method> accessors) {
    }
}
