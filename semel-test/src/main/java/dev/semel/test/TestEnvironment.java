package dev.semel.test;

import java.util.Optional;

/**
 * Reads the settings that point tests at running servers ({@code SEMEL_TEST_POSTGRES_URL},
 * {@code SEMEL_TEST_MARIADB_URL}, {@code SEMEL_TEST_REDIS_URL}, ...). A JVM system property
 * of the same name wins over the environment variable, so one test run can override it.
 */
public final class TestEnvironment {
    private TestEnvironment() {
    }

    /**
     * Returns a setting, if it is set and not blank.
     *
     * @param name the variable name, e.g. {@code SEMEL_TEST_POSTGRES_URL}
     * @return its value
     */
    public static Optional<String> variable(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name);
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
