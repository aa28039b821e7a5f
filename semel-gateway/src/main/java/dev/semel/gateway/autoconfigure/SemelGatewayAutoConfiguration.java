package dev.semel.gateway.autoconfigure;

import dev.semel.Idempotency;
import dev.semel.gateway.IdempotencyGatewayFilterFactory;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.SemelProperties;
import java.nio.charset.StandardCharsets;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.context.annotation.Bean;

/**
 * Gives a Spring Cloud Gateway (server WebFlux) application the {@code Idempotency} route filter
 * when it has semel-gateway and the Semel engine: routes then declare {@code filters: - Idempotency}
 * with nothing else to write. The filter takes the {@code semel.*} settings of the WebFlux filter
 * (key header, body limits, fingerprint headers, credential headers and caller secret, anonymous
 * callers, excluded response headers) and {@code semel.gateway.caller-header}.
 *
 * <p>Backs off when the application declares its own {@link IdempotencyGatewayFilterFactory}.
 */
@AutoConfiguration(after = SemelAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({GatewayFilterFactory.class, IdempotencyGatewayFilterFactory.class})
@ConditionalOnBean(Idempotency.class)
public class SemelGatewayAutoConfiguration {
    /** Created by Spring. */
    public SemelGatewayAutoConfiguration() {
    }

    /**
     * The {@code Idempotency} filter factory, with the {@code semel.*} settings of the WebFlux filter.
     *
     * @param engine the engine
     * @param properties the semel properties, when the Semel auto-configuration bound them
     * @param callerHeader {@code semel.gateway.caller-header}, or empty
     * @return the factory
     */
    @Bean
    @ConditionalOnMissingBean
    IdempotencyGatewayFilterFactory idempotencyGatewayFilterFactory(Idempotency engine,
            ObjectProvider<SemelProperties> properties, @Value("${semel.gateway.caller-header:}") String callerHeader) {
        IdempotencyGatewayFilterFactory.Builder factory = IdempotencyGatewayFilterFactory.builder(engine)
                .callerHeader(callerHeader);
        SemelProperties semel = properties.getIfAvailable();
        if (semel == null) {
            return factory.build();
        }
        SemelProperties.Web web = semel.getWeb();
        return factory.webFilter(filter -> {
            filter.headerName(semel.getHeaderName())
                    .maxRequestBodyBytes(bytes(semel.getCapture().getMaxRequestBodySize().toBytes()))
                    .maxCapturedBodyBytes(bytes(semel.getCapture().getMaxBodySize().toBytes()))
                    .fingerprintHeaders(semel.getFingerprint().getHeaders().toArray(String[]::new))
                    .inProgressRetryAfter(web.getInProgressRetryAfter())
                    .allowAnonymous(web.isAllowAnonymous())
                    .credentialHeaders(web.getCredentialHeaders().toArray(String[]::new));
            String secret = web.getCallerSecret();
            if (secret != null && !secret.isEmpty()) {
                filter.callerSecret(secret.getBytes(StandardCharsets.UTF_8));
            }
            if (!semel.getCapture().getExcludedHeaders().isEmpty()) {
                filter.excludeResponseHeaders(semel.getCapture().getExcludedHeaders().toArray(String[]::new));
            }
        }).build();
    }

    private static int bytes(long bytes) {
        if (bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a body size limit must be between 1 byte and 2 GB, was " + bytes);
        }
        return (int) bytes;
    }
}
