package dev.semel.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Fails the startup when an {@link Idempotent @Idempotent} annotation of any bean (a controller, a
 * command handler, a listener) names a policy that {@code semel.policies} does not define: once
 * every singleton exists and before the web server starts, rather than at the first request or
 * call that would use it.
 */
final class PolicyReferenceCheck implements SmartInitializingSingleton {
    private final ConfigurableListableBeanFactory beanFactory;
    private final ObjectProvider<SemelPolicies> policies;

    PolicyReferenceCheck(ConfigurableListableBeanFactory beanFactory, ObjectProvider<SemelPolicies> policies) {
        this.beanFactory = beanFactory;
        this.policies = policies;
    }

    @Override
    public void afterSingletonsInstantiated() {
        SemelPolicies defined = policies.getIfAvailable();
        if (defined == null) {
            return;
        }
        List<SemelPolicies.Reference> unknown = new ArrayList<>();
        Set<Class<?>> seen = new HashSet<>();
        for (String bean : beanFactory.getBeanNamesForType(Object.class, true, false)) {
            Class<?> type;
            try {
                type = beanFactory.getType(bean, false);
            } catch (RuntimeException | LinkageError e) {
                continue; // a type that cannot even be loaded is not ours to judge
            }
            if (type == null || !seen.add(ClassUtils.getUserClass(type))) {
                continue;
            }
            check(ClassUtils.getUserClass(type), defined, unknown);
        }
        if (!unknown.isEmpty()) {
            throw defined.unknown(unknown);
        }
    }

    static void check(Class<?> type, SemelPolicies defined, List<SemelPolicies.Reference> unknown) {
        if (type.getName().startsWith("org.springframework.") || type.getName().startsWith("java.")) {
            return;
        }
        Idempotent onClass = AnnotatedElementUtils.findMergedAnnotation(type, Idempotent.class);
        if (onClass != null && !onClass.policy().isEmpty() && defined.find(onClass.policy()).isEmpty()) {
            unknown.add(new SemelPolicies.Reference(onClass.policy(),
                    "@Idempotent(policy = \"" + onClass.policy() + "\") on " + type.getName()));
        }
        Map<Method, Idempotent> methods;
        try {
            methods = MethodIntrospector.selectMethods(type,
                    (MethodIntrospector.MetadataLookup<Idempotent>) method ->
                            AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class));
        } catch (RuntimeException | LinkageError e) {
            return; // methods whose signatures cannot be resolved: the bean could not run them either
        }
        for (Map.Entry<Method, Idempotent> entry : methods.entrySet()) {
            String policy = entry.getValue().policy();
            if (!policy.isEmpty() && defined.find(policy).isEmpty()) {
                unknown.add(new SemelPolicies.Reference(policy, "@Idempotent(policy = \"" + policy + "\") on "
                        + type.getName() + "#" + entry.getKey().getName()));
            }
        }
    }
}
