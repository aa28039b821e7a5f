package dev.semel.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@link SemelConfigurationException} at startup the way Spring Boot explains its own
 * failures ("APPLICATION FAILED TO START", Description, Action). Registered in
 * {@code META-INF/spring.factories}; bad {@code semel.*} values are explained by Boot's own
 * bind-validation analysis, which names the full property.
 */
public class SemelFailureAnalyzer extends AbstractFailureAnalyzer<SemelConfigurationException> {
    /** Created by Spring Boot. */
    public SemelFailureAnalyzer() {
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SemelConfigurationException cause) {
        return new FailureAnalysis(cause.description(), cause.action(), cause);
    }
}
