package dev.semel.spring;

import dev.semel.CallOptions;
import dev.semel.OutcomePolicy;
import dev.semel.WaitPolicy;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * The named policies of {@code semel.policies.<name>}, resolved, by name: what
 * {@code @Idempotent(policy = "...")} and the policies' path patterns apply. The policy named
 * {@value #DEFAULT} is always there, configured or not: it is what every endpoint and method gets
 * that names no policy.
 *
 * <p>Per setting, the first that is set wins: an explicit {@code @Idempotent} attribute, the named
 * policy, {@code semel.policies.default}, the top-level property ({@code semel.ttl}...), the
 * library's default. Semel's auto-configuration declares it from the properties; declare a bean of
 * your own to replace it (for example {@code SemelPolicies.from(properties)} over properties you
 * adjusted).
 */
public final class SemelPolicies {
    /** The name of the policy that applies when none is named. */
    public static final String DEFAULT = "default";

    private final Map<String, SemelPolicy> byName;
    // Both bounded by the application's code: its annotated methods, its annotations and policies.
    private final Map<AnnotatedKey, Optional<Idempotent>> annotations = new ConcurrentHashMap<>();
    private final Map<OptionsKey, CallOptions> callOptions = new ConcurrentHashMap<>();

    private SemelPolicies(Map<String, SemelPolicy> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    /**
     * Resolves the policies of {@code semel.policies.*} over the top-level properties.
     *
     * @param properties the bound (and validated) properties
     * @return the policies, {@value #DEFAULT} first, then by name
     * @throws IllegalArgumentException if a stored-outcomes entry is invalid (binding validation
     *     reports it first, naming the property)
     */
    public static SemelPolicies from(SemelProperties properties) {
        Objects.requireNonNull(properties, "properties");
        Map<String, SemelProperties.Policy> configured = properties.getPolicies() == null ? Map.of()
                : properties.getPolicies();
        SemelProperties.Policy d = configured.get(DEFAULT);
        if (d == null) {
            d = new SemelProperties.Policy();
        }
        String defaultPrefix = "semel.policies." + DEFAULT + ".";
        List<String> defaultOutcomes = d.getStoredOutcomes() != null ? d.getStoredOutcomes()
                : properties.getStoredOutcomes();
        SemelPolicy defaults = new SemelPolicy(DEFAULT,
                first(d.getTtl(), properties.getTtl()),
                first(d.getLease(), properties.getLease()),
                first(d.getInProgress(), properties.getInProgress().getPolicy()),
                first(d.getMaxWait(), properties.getInProgress().getMaxWait()),
                defaultOutcomes,
                outcomes(d.getStoredOutcomes() != null ? defaultPrefix + "stored-outcomes" : "semel.stored-outcomes",
                        defaultOutcomes),
                patterns(d),
                SemelPolicy.Overrides.NONE); // the engine's configuration holds the default policy
        Map<String, SemelPolicy> byName = new LinkedHashMap<>();
        byName.put(DEFAULT, defaults);
        for (Map.Entry<String, SemelProperties.Policy> entry : new TreeMap<>(configured).entrySet()) {
            String name = entry.getKey();
            if (DEFAULT.equals(name)) {
                continue;
            }
            SemelProperties.Policy p = entry.getValue() == null ? new SemelProperties.Policy() : entry.getValue();
            List<String> storedOutcomes = first(p.getStoredOutcomes(), defaults.storedOutcomes());
            byName.put(name, new SemelPolicy(name,
                    first(p.getTtl(), defaults.ttl()),
                    first(p.getLease(), defaults.lease()),
                    first(p.getInProgress(), defaults.inProgress()),
                    first(p.getMaxWait(), defaults.maxWait()),
                    storedOutcomes,
                    p.getStoredOutcomes() != null
                            ? outcomes("semel.policies." + name + ".stored-outcomes", p.getStoredOutcomes())
                            : defaults.outcomePolicy(),
                    patterns(p),
                    new SemelPolicy.Overrides(p.getTtl() != null, p.getLease() != null,
                            p.getInProgress() != null || p.getMaxWait() != null, p.getStoredOutcomes() != null)));
        }
        return new SemelPolicies(byName);
    }

    private static <T> T first(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static OutcomePolicy outcomes(String property, List<String> entries) {
        return StoredOutcomesParser.parse(property, entries);
    }

    private static List<String> patterns(SemelProperties.Policy policy) {
        List<String> patterns = new ArrayList<>();
        for (String pattern : policy.getPathPatterns() == null ? List.<String>of() : policy.getPathPatterns()) {
            if (pattern != null && !pattern.isBlank()) {
                patterns.add(pattern.trim());
            }
        }
        return patterns;
    }

    /** @return the policy that applies where none is named */
    public SemelPolicy defaultPolicy() {
        return byName.get(DEFAULT);
    }

    /**
     * Finds a policy.
     *
     * @param name the policy's name
     * @return the policy, or empty if {@code semel.policies} defines none by that name
     */
    public Optional<SemelPolicy> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    /**
     * Returns a policy that must exist.
     *
     * @param name the policy's name
     * @return the policy
     * @throws SemelConfigurationException if there is none by that name; its message names the
     *     defined ones
     */
    public SemelPolicy get(String name) {
        return get(name, null);
    }

    /**
     * Returns a policy that must exist, for a reference to it.
     *
     * @param name the policy's name
     * @param referencedBy where the name was given ({@code @Idempotent(policy = "x") on Payments#refund}),
     *     for the message; may be {@code null}
     * @return the policy
     * @throws SemelConfigurationException if there is none by that name; its message names the
     *     policy, the reference and the defined policies
     */
    public SemelPolicy get(String name, String referencedBy) {
        SemelPolicy policy = name == null ? null : byName.get(name);
        if (policy == null) {
            throw unknown(List.of(new Reference(name, referencedBy)));
        }
        return policy;
    }

    /**
     * The engine options of an endpoint or method marked {@code @Idempotent}, per setting: the
     * annotation's attribute, else its named policy ({@code policy = "refunds"}), else the
     * policy whose path pattern matched, else the default policy.
     *
     * @param annotation the annotation
     * @param matched the policy whose path pattern matched the endpoint, or {@code null}
     * @param where what carries the annotation ({@code Payments#refund}), for the error of an
     *     unknown policy name
     * @return the options
     * @throws SemelConfigurationException if the annotation names a policy that does not exist
     */
    public CallOptions callOptions(Idempotent annotation, SemelPolicy matched, String where) {
        // per request: decided once per annotation and policy (a few, fixed at startup); an error
        // is thrown, not kept
        return callOptions.computeIfAbsent(new OptionsKey(Objects.requireNonNull(annotation, "annotation"), matched),
                k -> decideCallOptions(annotation, matched, where));
    }

    /**
     * The {@link Idempotent @Idempotent} rule of a handler or bean method: the method's own
     * annotation (merged: meta-annotations count), else its class's. The integrations ask for every
     * request, so it is found once per method and class and then answered from memory.
     *
     * @param method the method
     * @param type the class the method is called on (a controller's bean type)
     * @return the annotation, or {@code null} when neither the method nor the class carries one
     */
    public Idempotent idempotentOf(Method method, Class<?> type) {
        return annotations.computeIfAbsent(new AnnotatedKey(Objects.requireNonNull(method, "method"),
                Objects.requireNonNull(type, "type")), k -> {
                    Idempotent onMethod = AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class);
                    return Optional.ofNullable(onMethod != null ? onMethod
                            : AnnotatedElementUtils.findMergedAnnotation(type, Idempotent.class));
                }).orElse(null);
    }

    private CallOptions decideCallOptions(Idempotent annotation, SemelPolicy matched, String where) {
        SemelPolicy policy;
        if (!annotation.policy().isEmpty()) {
            // per request: the reference text is built only for the error of an unknown name
            policy = find(annotation.policy()).orElseGet(() -> get(annotation.policy(),
                    "@Idempotent(policy = \"" + annotation.policy() + "\") on " + where));
        } else {
            policy = matched != null ? matched : defaultPolicy();
        }
        CallOptions.Builder options = policy.callOptionsBuilder();
        if (!annotation.ttl().isBlank()) {
            options.ttl(DurationStyle.detectAndParse(annotation.ttl()));
        }
        switch (annotation.inProgress()) {
            case REJECT -> options.waitPolicy(WaitPolicy.reject());
            case WAIT -> options.waitPolicy(WaitPolicy.waitUpTo(policy.maxWait()));
            case DEFAULT -> {
                // the policy's, else the engine's configured policy
            }
        }
        return options.build();
    }

    /** @return the names of every policy, {@value #DEFAULT} first, then in alphabetical order */
    public Set<String> names() {
        return byName.keySet();
    }

    /** @return every policy, {@value #DEFAULT} first */
    public Collection<SemelPolicy> all() {
        return byName.values();
    }

    /**
     * The policies' path patterns, each with the first policy that names it, the most specific
     * pattern first: the order in which the web filters (Spring MVC and WebFlux alike) try them,
     * so that {@code /reports/daily/*} of one policy wins over {@code /reports/**} of another,
     * whatever the order of the properties. More specific: without {@code **}, then more
     * segments, then fewer wildcard segments; then by name.
     *
     * @return the policy of each pattern, in the order to try them
     */
    public Map<String, SemelPolicy> byPathPattern() {
        Map<String, SemelPolicy> unordered = new HashMap<>();
        for (SemelPolicy policy : all()) {
            for (String pattern : policy.pathPatterns()) {
                unordered.putIfAbsent(pattern, policy);
            }
        }
        Map<String, SemelPolicy> ordered = new LinkedHashMap<>();
        unordered.keySet().stream().sorted(MOST_SPECIFIC_FIRST).forEach(p -> ordered.put(p, unordered.get(p)));
        return ordered;
    }

    private static final Comparator<String> MOST_SPECIFIC_FIRST = Comparator
            .comparing((String pattern) -> pattern.contains("**"))
            .thenComparing(pattern -> -segments(pattern).length)
            .thenComparing(pattern -> Arrays.stream(segments(pattern))
                    .filter(s -> s.contains("*") || (s.startsWith("{") && s.endsWith("}"))).count())
            .thenComparing(Comparator.naturalOrder());

    private static String[] segments(String pattern) {
        return Arrays.stream(pattern.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    /** A place where a policy is named. */
    record Reference(String policy, String referencedBy) {
    }

    SemelConfigurationException unknown(List<Reference> references) {
        StringBuilder description = new StringBuilder();
        List<String> missing = new ArrayList<>();
        for (Reference reference : references) {
            description.append(description.length() == 0 ? "" : "; ")
                    .append("policy \"").append(reference.policy()).append('"');
            if (reference.referencedBy() != null) {
                description.append(", named by ").append(reference.referencedBy());
            }
            if (!missing.contains(reference.policy())) {
                missing.add(reference.policy());
            }
        }
        String defined = names().toString();
        String example = missing.isEmpty() || missing.get(0) == null || missing.get(0).isBlank() ? "<name>"
                : missing.get(0);
        return new SemelConfigurationException(
                (references.size() == 1 ? "Semel has no such policy: " : "Semel has no such policies: ") + description
                        + ". The defined policies are " + defined + " (semel.policies.<name>).",
                "Define the policy under semel.policies (e.g. semel.policies." + example + ".ttl=1h), "
                        + "or name one of " + defined + ".");
    }

    @Override
    public String toString() {
        return "SemelPolicies" + byName.values();
    }

    private record AnnotatedKey(Method method, Class<?> type) {
    }

    private record OptionsKey(Idempotent annotation, SemelPolicy matched) {
    }
}
