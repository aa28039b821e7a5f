package dev.semel.spring;

import java.util.Objects;

/**
 * Semel's auto-configuration could not set up what the application asked for, or would have had
 * to guess (several DataSources, a Redis client the store cannot use). Spring Boot prints it
 * through {@link SemelFailureAnalyzer}: what is wrong, and which property or bean fixes it.
 */
public class SemelConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String action;

    /**
     * Creates the exception.
     *
     * @param description what is wrong
     * @param action which property or bean fixes it
     */
    public SemelConfigurationException(String description, String action) {
        super(Objects.requireNonNull(description, "description"));
        this.action = Objects.requireNonNull(action, "action");
    }

    /** @return what is wrong */
    public String description() {
        return getMessage();
    }

    /** @return which property or bean fixes it */
    public String action() {
        return action;
    }
}
