package dev.semel.spring;

import dev.semel.OutcomePolicy;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code semel.stored-outcomes}: a list of statuses whose responses are stored and replayed.
 *
 * <p>Each entry is {@code final} (every status below 500 except 408, 409, 425 and 429),
 * {@code including-server-errors} ({@code final} and every 5xx), a status ({@code 503}), a class
 * ({@code 5xx}), or any of those after {@code !} to take statuses out again. Entries apply in
 * order: {@code final,!404} stores the final statuses but 404; {@code 2xx,422} only those.
 */
final class StoredOutcomesParser {
    private StoredOutcomesParser() {
    }

    static OutcomePolicy parse(String property, List<String> entries) {
        if (entries == null || entries.isEmpty()) {
            throw new IllegalArgumentException(property + " must name at least one status, e.g. final");
        }
        if (entries.size() == 1) {
            String only = entries.get(0).trim().toLowerCase(Locale.ROOT);
            if (only.equals("final")) {
                return OutcomePolicy.DEFAULT;
            }
            if (only.equals("including-server-errors")) {
                return OutcomePolicy.includingServerErrors();
            }
        }
        BitSet stored = new BitSet(600);
        for (String raw : entries) {
            String entry = raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
            boolean remove = entry.startsWith("!");
            BitSet statuses = statuses(property, raw, remove ? entry.substring(1).trim() : entry);
            if (remove) {
                stored.andNot(statuses);
            } else {
                stored.or(statuses);
            }
        }
        BitSet frozen = (BitSet) stored.clone();
        return OutcomePolicy.of(status -> status >= 0 && status < 600 && frozen.get(status));
    }

    private static BitSet statuses(String property, String raw, String entry) {
        BitSet set = new BitSet(600);
        switch (entry) {
            case "final" -> fill(set, OutcomePolicy.DEFAULT);
            case "including-server-errors" -> fill(set, OutcomePolicy.includingServerErrors());
            default -> {
                if (entry.matches("[1-5]xx")) {
                    int base = (entry.charAt(0) - '0') * 100;
                    set.set(base, base + 100);
                } else if (entry.matches("[1-5][0-9][0-9]")) {
                    set.set(Integer.parseInt(entry));
                } else {
                    throw new IllegalArgumentException(property + ": '" + raw + "' is not final, "
                            + "including-server-errors, a status (404), a class (4xx) or one of those after !");
                }
            }
        }
        return set;
    }

    private static void fill(BitSet set, OutcomePolicy policy) {
        for (int status = 100; status < 600; status++) {
            if (policy.shouldStore(status)) {
                set.set(status);
            }
        }
    }
}
