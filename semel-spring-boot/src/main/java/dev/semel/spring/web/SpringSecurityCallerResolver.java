package dev.semel.spring.web;

import dev.semel.servlet.CallerResolver;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The caller is Spring Security's authenticated principal (its name), so the same key sent
 * by two users never collides; anonymous requests fall back to the container's principal,
 * usually none, and then the filter scopes them by a keyed hash of their credential headers
 * (or refuses a keyed request without any, unless {@code semel.web.allow-anonymous}).
 *
 * <p>Registered automatically when Spring Security is on the class path. The idempotency
 * filter runs after Spring Security's filter chain, so the principal is known.
 */
public final class SpringSecurityCallerResolver implements CallerResolver {
    /** Created by the auto-configuration. */
    public SpringSecurityCallerResolver() {
    }

    @Override
    public String caller(HttpServletRequest request) {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication != null && authentication.isAuthenticated()
                && !(authentication instanceof AnonymousAuthenticationToken)) {
            return authentication.getName();
        }
        return CallerResolver.PRINCIPAL.caller(request);
    }
}
