package dev.semel.examples.payments;

import java.util.List;
import java.util.Map;

/**
 * A request body that breaks the API's rules; answered 400 with the offending fields named.
 */
public final class InvalidRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The fields in error, in body order, with what is wrong with each. */
    private final transient Map<String, String> fieldErrors;

    InvalidRequestException(Map<String, String> fieldErrors) {
        super("Invalid fields: " + String.join(", ", fieldErrors.keySet()));
        this.fieldErrors = Map.copyOf(fieldErrors);
    }

    /**
     * Returns the fields in error.
     *
     * @return one entry per field: its name and what is wrong with it
     */
    public List<Map<String, String>> errors() {
        return fieldErrors.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> Map.of("field", e.getKey(), "message", e.getValue()))
                .toList();
    }
}
