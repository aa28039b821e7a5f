package dev.semel.spring.method;

import dev.semel.ExceptionCodec;
import dev.semel.Idempotency;
import dev.semel.WaitPolicy;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelProperties;
import java.util.ArrayList;
import java.util.List;
import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configures {@link dev.semel.spring.Idempotent @Idempotent} on Spring bean methods
 * (command handlers, scheduled jobs, Kafka and RabbitMQ listeners): an
 * {@link IdempotentMethodAdvisor} over the {@link Idempotency} bean, storing results with the
 * application's {@link JsonMapper}. Switched off with {@code semel.method.enabled=false}.
 *
 * <p>An {@link ExceptionCodec} bean, if the application declares one, decides which exceptions
 * are stored and rethrown on replay; otherwise {@code semel.method.stored-exceptions} does.
 */
@AutoConfiguration(after = SemelAutoConfiguration.class,
        afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnClass({MethodInterceptor.class, JsonMapper.class})
@ConditionalOnBean(Idempotency.class)
@ConditionalOnProperty(prefix = "semel.method", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SemelMethodProperties.class)
@Import(SemelMethodAutoConfiguration.AutoProxyRegistrar.class)
public class SemelMethodAutoConfiguration {

    /** Created by Spring. */
    public SemelMethodAutoConfiguration() {
    }

    /**
     * The advisor; static and lazy in its collaborators so that it never makes other beans
     * ineligible for post-processing.
     *
     * @param idempotency the engine
     * @param jsonMapper the application's JSON mapper, if any
     * @param methodProperties {@code semel.method.*}
     * @param semelProperties {@code semel.*}
     * @param exceptionCodec the application's exception codec, if any
     * @param policies the named policies of {@code @Idempotent(policy = "...")}
     * @param environment for the advisor's order
     * @return the advisor
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static IdempotentMethodAdvisor semelIdempotentMethodAdvisor(ObjectProvider<Idempotency> idempotency,
            ObjectProvider<JsonMapper> jsonMapper, ObjectProvider<SemelMethodProperties> methodProperties,
            ObjectProvider<SemelProperties> semelProperties, ObjectProvider<ExceptionCodec> exceptionCodec,
            ObjectProvider<SemelPolicies> policies, Environment environment) {
        IdempotentMethodInterceptor interceptor = new IdempotentMethodInterceptor(idempotency::getObject,
                () -> settings(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()),
                        methodProperties.getObject(), policies.getIfAvailable(
                                () -> SemelPolicies.from(semelProperties.getIfAvailable(SemelProperties::new))),
                        exceptionCodec.getIfAvailable()));
        int order = environment.getProperty("semel.method.order", Integer.class, new SemelMethodProperties().getOrder());
        return new IdempotentMethodAdvisor(interceptor, order);
    }

    static IdempotentMethodInterceptor.Settings settings(JsonMapper mapper, SemelMethodProperties properties,
            SemelPolicies policies, ExceptionCodec exceptionCodec) {
        ClassLoader loader = SemelMethodAutoConfiguration.class.getClassLoader();
        ExceptionCodec exceptions = exceptionCodec;
        if (exceptions == null) {
            exceptions = storedExceptions(properties.getStoredExceptions(), loader);
        }
        List<Class<?>> ignored = new ArrayList<>();
        for (String name : properties.getFingerprintIgnoredTypes()) {
            if (ClassUtils.isPresent(name, loader)) {
                ignored.add(ClassUtils.resolveClassName(name, loader));
            }
        }
        return new IdempotentMethodInterceptor.Settings(mapper, properties.getMaxResultSize().toBytes(),
                WaitPolicy.waitUpTo(policies.defaultPolicy().maxWait()), exceptions, ignored, policies);
    }

    @SuppressWarnings("unchecked")
    private static ExceptionCodec storedExceptions(List<String> names, ClassLoader loader) {
        if (names.isEmpty()) {
            return ExceptionCodec.NONE;
        }
        List<Class<? extends Exception>> types = new ArrayList<>();
        for (String name : names) {
            Class<?> type;
            try {
                type = ClassUtils.forName(name.trim(), loader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalStateException("semel.method.stored-exceptions names " + name
                        + ", which is not on the class path", e);
            }
            if (!Exception.class.isAssignableFrom(type)) {
                throw new IllegalStateException("semel.method.stored-exceptions names " + name
                        + ", which is not an Exception");
            }
            types.add((Class<? extends Exception>) type);
        }
        Class<? extends Exception>[] array = (Class<? extends Exception>[]) new Class<?>[types.size()];
        return ExceptionCodec.storing(types.toArray(array));
    }

    /** Makes sure an auto-proxy creator applies infrastructure advisors, as @EnableTransactionManagement does. */
    static final class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {
        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        }
    }
}
