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
 *
 * <p>Settings can come from configuration instead of code: {@code @Idempotent(policy = "refunds")}
 * takes them from {@code semel.policies.refunds.*}, so operators tune the endpoint without
 * recompiling. Per setting, the first that is set wins: an attribute of this annotation, the named
 * policy, {@code semel.policies.default}, the top-level property ({@code semel.ttl}...), the
 * library's default.
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

    /** What a duplicate arriving while the first call still runs gets; DEFAULT = the policy's (named, else configured). */
    InProgress inProgress() default InProgress.DEFAULT;

    /**
     * Name of a policy of {@code semel.policies.<name>} (TTL, lease, in-progress policy and wait,
     * stored outcomes) for this endpoint or method; empty = none: a handler on a path of a policy's
     * path-patterns takes that policy, anything else the {@code default} policy. The attributes set
     * here ({@link #ttl()}, {@link #inProgress()}) win over the policy's. A name that no policy has
     * fails the application's startup.
     */
    String policy() default "";

    /** In-progress behaviour for one endpoint or method. */
    enum InProgress {
        /** Use the policy's setting: the named policy's, else the configured one. */
        DEFAULT,
        /** Answer at once with a conflict (409 + Retry-After over HTTP, an exception for beans). */
        REJECT,
        /** Wait (bounded) for the first call to finish, then replay its outcome. */
        WAIT
    }
}
