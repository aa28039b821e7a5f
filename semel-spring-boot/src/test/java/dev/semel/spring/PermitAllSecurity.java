package dev.semel.spring;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/** For tests that are not about security: Spring Security is on the test class path, this opens every path. */
@Configuration(proxyBeanMethods = false)
public class PermitAllSecurity {
    @Bean
    SecurityFilterChain permitAll(HttpSecurity http) {
        return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                .csrf(csrf -> csrf.disable())
                .build();
    }
}
