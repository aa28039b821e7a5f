package dev.semel.examples.payments;

import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import org.springframework.context.annotation.Bean;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Optional HTTP Basic sign-in with two demo users, {@code alice/alice} and {@code bob/bob}
 * (demo only: plain-text passwords in code). Anonymous calls are allowed too; Semel scopes
 * idempotency keys per caller, so alice's key never replays bob's payment.
 *
 * <p>The Actuator endpoints other than health, among them {@code /actuator/idempotency} that the
 * records view ({@code /records.html}) reads, need the demo operator {@code ops/ops} (role OPS):
 * they show every caller's keys and can delete records.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    @Order(1)
    SecurityFilterChain operations(HttpSecurity http) throws Exception {
        http.securityMatcher(EndpointRequest.toAnyEndpoint())
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(EndpointRequest.to("health")).permitAll()
                        .anyRequest().hasRole("OPS"))
                .httpBasic(basic -> basic.authenticationEntryPoint(problemEntryPoint()))
                // Credentials in every request (HTTP Basic), no cookies: no CSRF token needed.
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
        return http.build();
    }

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                .httpBasic(basic -> basic.authenticationEntryPoint(problemEntryPoint()))
                .anonymous(Customizer.withDefaults())
                // A JSON API for programs: no cookies, no sessions, hence no CSRF token.
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
        return http.build();
    }

    @Bean
    UserDetailsService demoUsers() {
        return new InMemoryUserDetailsManager(
                User.withUsername("alice").password("{noop}alice").roles("USER").build(),
                User.withUsername("bob").password("{noop}bob").roles("USER").build(),
                User.withUsername("ops").password("{noop}ops").roles("OPS").build());
    }

    /**
     * A request Spring Security's firewall refuses (encoded dots, path parameters such as
     * {@code ;jsessionid=}, control characters in the path): a 400 problem like every other
     * error of this API, instead of the default error page.
     */
    @Bean
    RequestRejectedHandler problemForRejectedRequests() {
        return (request, response, e) -> {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("application/problem+json");
            response.getOutputStream().write(("{\"type\":\"" + ProblemHandler.TYPE_BASE + "request-rejected\","
                    + "\"title\":\"Request rejected\",\"status\":400,"
                    + "\"detail\":\"The request path or headers are not accepted by this API.\"}")
                    .getBytes(StandardCharsets.UTF_8));
        };
    }

    /**
     * Wrong credentials: 401 problem details, like every other error of this API. A page's own
     * script (it sends {@code X-Requested-With: XMLHttpRequest}, as the records view does) gets no
     * Basic challenge, so the browser shows the page's sign-in form instead of its own dialog.
     */
    private static AuthenticationEntryPoint problemEntryPoint() {
        return (request, response, e) -> {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            if (!"XMLHttpRequest".equals(request.getHeader("X-Requested-With"))) {
                response.setHeader("WWW-Authenticate", "Basic realm=\"payments\"");
            }
            response.setContentType("application/problem+json");
            response.getOutputStream().write(("{\"type\":\"" + ProblemHandler.TYPE_BASE + "unauthorized\","
                    + "\"title\":\"Unauthorized\",\"status\":401,"
                    + "\"detail\":\"Wrong user name or password; send no Authorization header to call anonymously.\"}")
                    .getBytes(StandardCharsets.UTF_8));
        };
    }
}
