package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.semel.OutcomePolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoredOutcomesParserTest {

    @Test
    void finalAndIncludingServerErrorsAreTheCorePolicies() {
        assertThat(parse("final")).isSameAs(OutcomePolicy.DEFAULT);
        OutcomePolicy withErrors = parse("including-server-errors");
        assertThat(withErrors.shouldStore(503)).isTrue();
        assertThat(withErrors.shouldStore(429)).isFalse();
    }

    @Test
    void statusesAndClassesAddAndExclamationMarksTakeOut() {
        OutcomePolicy policy = parse("final", "503", "!404");
        assertThat(policy.shouldStore(201)).isTrue();
        assertThat(policy.shouldStore(503)).isTrue();
        assertThat(policy.shouldStore(500)).isFalse();
        assertThat(policy.shouldStore(404)).isFalse();
        assertThat(policy.shouldStore(409)).isFalse();

        OutcomePolicy only = parse("2xx", "422");
        assertThat(only.shouldStore(204)).isTrue();
        assertThat(only.shouldStore(422)).isTrue();
        assertThat(only.shouldStore(400)).isFalse();
        assertThat(only.shouldStore(302)).isFalse();
    }

    @Test
    void aBadEntryNamesTheFullPropertyAndTheEntry() {
        assertThatIllegalArgumentException().isThrownBy(() -> parse("final", "6xx"))
                .withMessageContaining("semel.stored-outcomes").withMessageContaining("'6xx'");
        assertThatIllegalArgumentException().isThrownBy(() -> StoredOutcomesParser.parse("semel.stored-outcomes",
                List.of())).withMessageContaining("semel.stored-outcomes");
    }

    private static OutcomePolicy parse(String... entries) {
        return StoredOutcomesParser.parse("semel.stored-outcomes", List.of(entries));
    }
}
