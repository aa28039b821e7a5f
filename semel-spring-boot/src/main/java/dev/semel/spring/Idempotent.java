package dev.semel.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Spring MVC handler (or a whole controller) or any Spring bean method as idempotent.
 *
 * <p>On a controller, the key comes from the {@code Idempotency-Key} header; on any other bean,
 * from {@link #key()} (SpEL over the arguments) or from an argument implementing
 * {@code IdempotentCommand}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Idempotent {

    /** SpEL expression over the method arguments giving the key (bean methods); empty for controllers. */
    String key() default "";

    /** Optional SpEL expression giving an extra scope part (tenant, aggregate id); empty for none. */
    String scope() default "";

    /** Whether a request without a key is rejected (400) rather than run without idempotency. */
    boolean required() default true;

    /** Record time-to-live as an ISO-8601 or Spring duration string ("PT24H", "24h"); empty = configured default. */
    String ttl() default "";

    /** What a duplicate arriving while the first call still runs gets; DEFAULT = configured policy. */
    InProgress inProgress() default InProgress.DEFAULT;

    /** In-progress behaviour for one endpoint or method. */
    enum InProgress {
        /** Use the globally configured policy. */
        DEFAULT,
        /** Answer at once with a conflict (409 + Retry-After over HTTP, an exception for beans). */
        REJECT,
        /** Wait (bounded) for the first call to finish, then replay its outcome. */
        WAIT
    }
}
