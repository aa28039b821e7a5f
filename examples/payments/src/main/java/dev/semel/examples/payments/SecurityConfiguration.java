package dev.semel.examples.payments;

import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

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
                User.withUsername("bob").password("{noop}bob").roles("USER").build());
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

    /** Wrong credentials: 401 problem details, like every other error of this API. */
    private static AuthenticationEntryPoint problemEntryPoint() {
        return (request, response, e) -> {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            response.setHeader("WWW-Authenticate", "Basic realm=\"payments\"");
            response.setContentType("application/problem+json");
            response.getOutputStream().write(("{\"type\":\"" + ProblemHandler.TYPE_BASE + "unauthorized\","
                    + "\"title\":\"Unauthorized\",\"status\":401,"
                    + "\"detail\":\"Wrong user name or password; send no Authorization header to call anonymously.\"}")
                    .getBytes(StandardCharsets.UTF_8));
        };
    }
}
