package dev.semel.spring.method;

import dev.semel.CallOptions;
import dev.semel.ExceptionCodec;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelPolicy;
import dev.semel.spring.SemelProperties;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.GenericTypeResolver;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a bean method annotated {@link Idempotent @Idempotent} once per key through
 * {@link Idempotency#once}: a duplicate call gets the stored result (or stored business
 * exception) without running the method.
 *
 * <p>Per call: the key comes from the {@code key} SpEL expression over the arguments (or
 * from an {@link IdempotentCommand} argument), the scope is the bean class and method name
 * plus the optional {@code scope} expression, the payload fingerprint is the JSON of the
 * arguments (a Kafka {@code ConsumerRecord}, an AMQP {@code Message} or a Spring
 * {@code Message} counts by its content, not its delivery metadata; broker handles such as
 * {@code Acknowledgment} and {@code Channel} are left out), and the result is stored as JSON of the declared return type. Methods returning
 * {@link CompletionStage}/{@link CompletableFuture} keep the key claimed until the future
 * completes; a future failed with a stored business exception is replayed as a future failed
 * with an equal one (same class and message). Spring Boot registers it through {@link SemelMethodAutoConfiguration}.
 */
public final class IdempotentMethodInterceptor implements MethodInterceptor {
    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();

    private final Supplier<Idempotency> idempotency;
    private final Supplier<Settings> settings;
    private final Map<MethodClassKey, MethodSpec> specs = new ConcurrentHashMap<>();
    private final MessagePayloads messagePayloads = new MessagePayloads(IdempotentMethodInterceptor.class.getClassLoader());

    /**
     * Creates the interceptor; its collaborators are looked up at the first call, so that it can be
     * built while post-processors are still being registered.
     *
     * @param idempotency the engine
     * @param settings the JSON mapper and method settings
     */
    public IdempotentMethodInterceptor(Supplier<Idempotency> idempotency, Supplier<Settings> settings) {
        this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
        Objects.requireNonNull(settings, "settings");
        this.settings = new Supplier<>() {
            private volatile Settings resolved;

            @Override
            public Settings get() {
                Settings s = resolved;
                if (s == null) {
                    s = Objects.requireNonNull(settings.get(), "settings");
                    resolved = s;
                }
                return s;
            }
        };
    }

    /**
     * What the interceptor needs besides the engine.
     *
     * @param jsonMapper stores results and fingerprints arguments
     * @param maxResultSize the largest encoded result, in bytes
     * @param waitPolicy the policy for {@link Idempotent.InProgress#WAIT} on methods that name no policy
     * @param exceptionCodec which exceptions are stored and rethrown on replay
     * @param fingerprintIgnoredTypes argument types left out of the fingerprint
     * @param policies the named policies of {@code @Idempotent(policy = "...")}
     */
    public record Settings(JsonMapper jsonMapper, long maxResultSize, WaitPolicy waitPolicy,
            ExceptionCodec exceptionCodec, List<Class<?>> fingerprintIgnoredTypes, SemelPolicies policies) {
        /**
         * Checks the settings.
         *
         * @param jsonMapper stores results and fingerprints arguments
         * @param maxResultSize the largest encoded result, in bytes
         * @param waitPolicy the policy for {@link Idempotent.InProgress#WAIT} on methods that name no policy
         * @param exceptionCodec which exceptions are stored and rethrown on replay
         * @param fingerprintIgnoredTypes argument types left out of the fingerprint
         * @param policies the named policies of {@code @Idempotent(policy = "...")}
         */
        public Settings {
            Objects.requireNonNull(jsonMapper, "jsonMapper");
            Objects.requireNonNull(waitPolicy, "waitPolicy");
            Objects.requireNonNull(exceptionCodec, "exceptionCodec");
            Objects.requireNonNull(policies, "policies");
            fingerprintIgnoredTypes = List.copyOf(fingerprintIgnoredTypes);
            if (maxResultSize <= 0) {
                throw new IllegalArgumentException("maxResultSize must be positive, was " + maxResultSize);
            }
        }

        /**
         * Settings without named policies: only the default one, from the library's defaults.
         *
         * @param jsonMapper stores results and fingerprints arguments
         * @param maxResultSize the largest encoded result, in bytes
         * @param waitPolicy the policy for {@link Idempotent.InProgress#WAIT}
         * @param exceptionCodec which exceptions are stored and rethrown on replay
         * @param fingerprintIgnoredTypes argument types left out of the fingerprint
         */
        public Settings(JsonMapper jsonMapper, long maxResultSize, WaitPolicy waitPolicy,
                ExceptionCodec exceptionCodec, List<Class<?>> fingerprintIgnoredTypes) {
            this(jsonMapper, maxResultSize, waitPolicy, exceptionCodec, fingerprintIgnoredTypes,
                    SemelPolicies.from(new SemelProperties()));
        }
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = target != null ? AopUtils.getTargetClass(target) : invocation.getMethod().getDeclaringClass();
        MethodSpec spec = specs.computeIfAbsent(new MethodClassKey(invocation.getMethod(), targetClass),
                k -> MethodSpec.of(invocation.getMethod(), targetClass, settings.get()));
        if (spec == MethodSpec.NONE) {
            return invocation.proceed();
        }
        Object[] args = invocation.getArguments();
        MethodBasedEvaluationContext context = null;
        Duration ttl = spec.ttl;
        String keyValue;
        if (spec.key != null) {
            context = new MethodBasedEvaluationContext(target, spec.method, args, PARAMETER_NAMES);
            keyValue = evaluate(spec, spec.key, context, "key");
        } else {
            IdempotentCommand command = firstCommand(args);
            keyValue = command == null ? null : command.idempotencyKey();
            if (command != null && command.idempotencyTtl() != null) {
                ttl = command.idempotencyTtl();
            }
        }
        if (keyValue == null || keyValue.isBlank()) {
            if (!spec.required) {
                return invocation.proceed();
            }
            throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.MISSING,
                    "No idempotency key for " + spec.name + ": "
                            + (spec.key != null ? "the key expression '" + spec.keyText + "' gave " + (keyValue == null ? "null" : "a blank value")
                                    : "no key expression and no IdempotentCommand argument with a key"));
        }
        IdempotencyKey key;
        try {
            key = IdempotencyKey.of(keyValue);
        } catch (InvalidIdempotencyKeyException e) {
            throw new InvalidIdempotencyKeyException(e.reason(), e.getMessage() + " (key of " + spec.name + ")");
        }
        String caller = null;
        if (spec.scope != null) {
            if (context == null) {
                context = new MethodBasedEvaluationContext(target, spec.method, args, PARAMETER_NAMES);
            }
            caller = evaluate(spec, spec.scope, context, "scope");
        }
        Scope scope = Scope.of(caller, spec.operation);
        byte[] payload = fingerprint(spec, args);
        CallOptions options = spec.options(ttl);
        Idempotency engine = idempotency.get();
        if (spec.async) {
            return invokeAsync(engine, invocation, spec, scope, key, payload, options);
        }
        return engine.once(scope, key, payload, spec.codec, options, () -> proceed(invocation));
    }

    private static Object proceed(MethodInvocation invocation) throws Exception {
        try {
            return invocation.proceed();
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String evaluate(MethodSpec spec, Expression expression, MethodBasedEvaluationContext context,
            String what) {
        Object value;
        try {
            value = expression.getValue(context);
        } catch (org.springframework.expression.EvaluationException e) {
            throw new IllegalArgumentException("Cannot evaluate the @Idempotent " + what + " expression '"
                    + expression.getExpressionString() + "' of " + spec.name + ": " + e.getMessage()
                    + " (refer to arguments as #p0/#a0, or by name when compiled with -parameters)", e);
        }
        return value == null ? null : value.toString();
    }

    private static IdempotentCommand firstCommand(Object[] args) {
        for (Object arg : args) {
            if (arg instanceof IdempotentCommand command) {
                return command;
            }
        }
        return null;
    }

    private byte[] fingerprint(MethodSpec spec, Object[] args) {
        Settings s = settings.get();
        List<Object> fingerprinted = new ArrayList<>(args.length);
        for (Object arg : args) {
            fingerprinted.add(ignored(s, arg) ? null : messagePayloads.contentOf(arg));
        }
        try {
            return spec.fingerprintMapper.writeValueAsBytes(fingerprinted);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("Cannot fingerprint the arguments of " + spec.name + " as JSON: "
                    + e.getOriginalMessage() + " (list argument types to leave out in "
                    + "semel.method.fingerprint-ignored-types)", e);
        }
    }

    private static boolean ignored(Settings s, Object arg) {
        if (arg == null) {
            return false;
        }
        for (Class<?> type : s.fingerprintIgnoredTypes()) {
            if (type.isInstance(arg)) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static Object invokeAsync(Idempotency engine, MethodInvocation invocation, MethodSpec spec, Scope scope,
            IdempotencyKey key, byte[] payload, CallOptions options) throws Exception {
        return engine.onceAsync(scope, key, payload, spec.codec, options,
                () -> (CompletionStage<Object>) proceed(invocation));
    }

    /** What one annotated method needs at every call, worked out at its first call. */
    static final class MethodSpec {
        static final MethodSpec NONE = new MethodSpec();

        final Method method;
        final String name;
        final String operation;
        final String keyText;
        final Expression key;
        final Expression scope;
        final boolean required;
        final Duration ttl;
        final SemelPolicy policy;
        final WaitPolicy waitPolicy;
        final ExceptionCodec exceptionCodec;
        final boolean async;
        final JacksonResultCodec codec;
        final JsonMapper fingerprintMapper;

        private MethodSpec() {
            method = null;
            name = operation = keyText = null;
            key = scope = null;
            required = async = false;
            ttl = null;
            policy = null;
            waitPolicy = null;
            exceptionCodec = null;
            codec = null;
            fingerprintMapper = null;
        }

        private MethodSpec(Method method, Class<?> targetClass, Idempotent annotation, Settings settings) {
            this.method = method;
            this.name = targetClass.getName() + "." + method.getName();
            this.operation = "method " + targetClass.getName() + "#" + method.getName();
            this.keyText = annotation.key();
            this.key = parse(annotation.key(), "key");
            this.scope = parse(annotation.scope(), "scope");
            this.required = annotation.required();
            this.ttl = parseTtl(annotation.ttl());
            // per setting: the annotation's attribute (or the command's TTL), else the named policy,
            // else the default policy, which the engine's configuration holds
            this.policy = annotation.policy().isEmpty() ? null
                    : settings.policies().get(annotation.policy(),
                            "@Idempotent(policy = \"" + annotation.policy() + "\") on " + name);
            this.waitPolicy = switch (annotation.inProgress()) {
                case DEFAULT -> null;
                case REJECT -> WaitPolicy.reject();
                case WAIT -> policy != null ? WaitPolicy.waitUpTo(policy.maxWait()) : settings.waitPolicy();
            };
            this.exceptionCodec = settings.exceptionCodec();
            Type returnType = GenericTypeResolver.resolveType(method.getGenericReturnType(), targetClass);
            JsonMapper mapper = settings.jsonMapper();
            JavaType javaType = mapper.getTypeFactory().constructType(returnType);
            this.async = CompletionStage.class.isAssignableFrom(javaType.getRawClass());
            if (async) {
                JavaType[] params = mapper.getTypeFactory().findTypeParameters(javaType, CompletionStage.class);
                javaType = params.length == 1 ? params[0] : mapper.getTypeFactory().constructType(Object.class);
            }
            this.codec = new JacksonResultCodec(mapper, name, javaType, settings.maxResultSize());
            this.fingerprintMapper = mapper.rebuild()
                    .disable(tools.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    .enable(tools.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .build();
        }

        static MethodSpec of(Method method, Class<?> targetClass, Settings settings) {
            Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
            Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(specific, Idempotent.class);
            if (annotation == null) {
                annotation = AnnotatedElementUtils.findMergedAnnotation(targetClass, Idempotent.class);
            }
            return annotation == null ? NONE : new MethodSpec(specific, targetClass, annotation, settings);
        }

        private Expression parse(String text, String what) {
            if (text == null || text.isBlank()) {
                return null;
            }
            try {
                return PARSER.parseExpression(text);
            } catch (ParseException e) {
                throw new IllegalStateException("The @Idempotent " + what + " expression '" + text + "' of " + name
                        + " is not valid SpEL: " + e.getMessage(), e);
            }
        }

        private Duration parseTtl(String text) {
            if (text == null || text.isBlank()) {
                return null;
            }
            try {
                Duration parsed = DurationStyle.detectAndParse(text.trim());
                if (parsed.isNegative() || parsed.isZero()) {
                    throw new IllegalStateException("The @Idempotent ttl of " + name + " must be positive, was " + text);
                }
                return parsed;
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw new IllegalStateException("The @Idempotent ttl '" + text + "' of " + name
                        + " is neither an ISO-8601 duration (PT24H) nor a simple one (24h)", e);
            }
        }

        CallOptions options(Duration callTtl) {
            CallOptions.Builder builder = (policy != null ? policy.callOptionsBuilder() : CallOptions.custom())
                    .exceptionCodec(exceptionCodec);
            if (callTtl != null) {
                builder.ttl(callTtl);
            }
            if (waitPolicy != null) {
                builder.waitPolicy(waitPolicy);
            }
            return builder.build();
        }
    }
}
