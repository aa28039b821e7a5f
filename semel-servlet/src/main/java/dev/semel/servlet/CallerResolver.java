package dev.semel.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;

/**
 * Tells the {@link IdempotencyFilter} who is calling, so that the same key sent by two
 * callers never collides: the caller is part of the idempotency scope.
 *
 * <p>The default, {@link #PRINCIPAL}, uses {@link HttpServletRequest#getUserPrincipal()}.
 * When a resolver answers {@code null}, the filter scopes the request by a keyed hash of
 * its credential headers ({@code Authorization} by default, see
 * {@link IdempotencyFilter.Builder#credentialHeaders(String...)}), and refuses a keyed
 * request without any credential unless anonymous callers are
 * {@linkplain IdempotencyFilter.Builder#allowAnonymous(boolean) allowed}. Use a tenant
 * header or an API key instead when that is what identifies a client (only a value the
 * client cannot forge for another caller; behind authentication, that is usually the
 * principal):
 *
 * <pre>{@code
 * CallerResolver byTenant = request -> request.getHeader("X-Tenant-Id");
 * }</pre>
 */
@FunctionalInterface
public interface CallerResolver {
    /** The authenticated principal's name, or {@code null} without one. */
    CallerResolver PRINCIPAL = request -> {
        Principal principal = request.getUserPrincipal();
        return principal == null ? null : principal.getName();
    };

    /**
     * Returns the caller's identity.
     *
     * @param request the request
     * @return the identity, or {@code null} when the request has none (the filter then uses its credentials)
     */
    String caller(HttpServletRequest request);
}
