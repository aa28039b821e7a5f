package dev.semel.spring.observation;

import dev.semel.Idempotency;
import dev.semel.micrometer.IdempotencyObservationConvention;
import dev.semel.micrometer.IdempotencyObservations;
import dev.semel.servlet.IdempotencyFilter;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.method.IdempotentMethodAdvisor;
import dev.semel.spring.method.SemelMethodAutoConfiguration;
import dev.semel.spring.web.IdempotencyFilterCustomizer;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.CompletionStage;
import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.util.function.SingletonSupplier;

/**
 * An Observation named {@code semel.idempotency} around each request the idempotency filter
 * protects and each {@code @Idempotent} method call, tagged {@code semel.kind} ({@code http},
 * {@code method}) and {@code semel.outcome} (how the engine answered; see docs/metrics.md).
 * It is current while the engine calls the store and while the handler runs, so a trace shows
 * Semel's span with the store calls and the handler's own spans nested under it.
 *
 * <p>On when the application has an {@link ObservationRegistry} (Spring Boot's Actuator
 * creates one); {@code semel.observations.enabled=false} turns it off. An
 * {@link IdempotencyObservationConvention} bean changes names and tags.
 */
@AutoConfiguration(after = {SemelAutoConfiguration.class, SemelMethodAutoConfiguration.class},
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass({IdempotencyObservations.class, ObservationRegistry.class})
@ConditionalOnBean({ObservationRegistry.class, Idempotency.class})
@ConditionalOnProperty(prefix = "semel.observations", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SemelObservationAutoConfiguration {

    /** Created by Spring. */
    public SemelObservationAutoConfiguration() {
    }

    /**
     * The observations; as a listener bean it also hears the engine's decisions, which the
     * engine configuration picks up with every other listener.
     *
     * @param registry the observation registry
     * @param convention a custom convention, if any
     * @return the observations
     */
    @Bean
    @ConditionalOnMissingBean
    IdempotencyObservations semelIdempotencyObservations(ObservationRegistry registry,
            ObjectProvider<IdempotencyObservationConvention> convention) {
        return IdempotencyObservations.create(registry, convention.getIfAvailable());
    }

    /** Around each request the idempotency filter protects. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({IdempotencyFilter.class, IdempotencyFilterCustomizer.class})
    static class WebObservationConfiguration {
        @Bean
        IdempotencyFilterCustomizer semelObservationFilterCustomizer(IdempotencyObservations observations) {
            return builder -> builder.interceptor((request, handling) -> {
                IdempotencyObservations.Call call = observations.start(IdempotencyObservations.Kind.HTTP);
                try {
                    handling.proceed();
                } catch (Throwable e) {
                    call.error(e);
                    call.close();
                    throw e;
                }
                if (request.isAsyncStarted()) {
                    // the request goes on after this thread returns: the span ends with it
                    call.closeWhen(AsyncEnd.of(request.getAsyncContext()));
                } else {
                    call.close();
                }
            });
        }
    }

    /** Around each {@code @Idempotent} method call: an advisor just outside Semel's own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MethodInterceptor.class)
    @ConditionalOnBean(IdempotentMethodAdvisor.class)
    static class MethodObservationConfiguration {
        @Bean
        @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
        static Advisor semelObservationMethodAdvisor(IdempotentMethodAdvisor semelAdvisor,
                ObjectProvider<IdempotencyObservations> observations) {
            SingletonSupplier<IdempotencyObservations> lookup = SingletonSupplier.of(observations::getIfAvailable);
            MethodInterceptor observe = invocation -> {
                IdempotencyObservations current = lookup.get();
                if (current == null) {
                    return invocation.proceed();
                }
                IdempotencyObservations.Call call = current.start(IdempotencyObservations.Kind.METHOD);
                Object result;
                try {
                    result = invocation.proceed();
                } catch (Throwable e) {
                    call.error(e);
                    call.close();
                    throw e;
                }
                if (result instanceof CompletionStage<?> stage) {
                    call.closeWhen(stage); // the call ends with its future, not when it returns it
                } else {
                    call.close();
                }
                return result;
            };
            DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(semelAdvisor.getPointcut(), observe);
            int order = semelAdvisor.getOrder();
            advisor.setOrder(order == Integer.MIN_VALUE ? order : order - 1); // outside Semel's advice
            return advisor;
        }
    }
}
