package dev.semel.spring.method;

import dev.semel.spring.Idempotent;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.aopalliance.aop.Advice;
import org.springframework.aop.ClassFilter;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.stereotype.Controller;

/**
 * Applies {@link IdempotentMethodInterceptor} to every Spring bean method annotated
 * {@link Idempotent @Idempotent}, or to every public method of a bean class annotated with it.
 * Controllers ({@code @Controller}, {@code @RestController}) are left to the web support, which
 * takes the key from the {@code Idempotency-Key} header.
 */
public final class IdempotentMethodAdvisor extends AbstractPointcutAdvisor {
    private static final long serialVersionUID = 1L;

    private final transient IdempotentMethodInterceptor interceptor;
    private final transient Pointcut pointcut = new IdempotentMethodPointcut();

    /**
     * Creates the advisor.
     *
     * @param interceptor the interceptor to apply
     * @param order the advisor's order (see {@code semel.method.order})
     */
    public IdempotentMethodAdvisor(IdempotentMethodInterceptor interceptor, int order) {
        this.interceptor = interceptor;
        setOrder(order);
    }

    @Override
    public Pointcut getPointcut() {
        return pointcut;
    }

    @Override
    public Advice getAdvice() {
        return interceptor;
    }

    /** Matches annotated methods of beans that are not controllers. */
    static final class IdempotentMethodPointcut extends StaticMethodMatcherPointcut {
        IdempotentMethodPointcut() {
            setClassFilter(new ClassFilter() {
                @Override
                public boolean matches(Class<?> clazz) {
                    return !AnnotatedElementUtils.hasAnnotation(clazz, Controller.class);
                }
            });
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
            if (AnnotatedElementUtils.hasAnnotation(specific, Idempotent.class)) {
                return true;
            }
            return Modifier.isPublic(method.getModifiers())
                    && !Modifier.isStatic(method.getModifiers())
                    && method.getDeclaringClass() != Object.class
                    && AnnotatedElementUtils.hasAnnotation(targetClass, Idempotent.class);
        }
    }
}
