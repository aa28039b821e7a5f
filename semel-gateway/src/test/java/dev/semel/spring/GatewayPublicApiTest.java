package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * semel-gateway's public API against its committed listing: {@link PublicApiTest}'s check, run
 * here because semel-gateway depends on semel-spring-boot and so cannot be on its test class path.
 */
class GatewayPublicApiTest {
    static final String UPDATE_COMMAND = "./mvnw -B -pl semel-gateway -am test -Dtest=GatewayPublicApiTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dsemel.api.update=true";

    @Test
    void publicApiOfSemelGatewayMatchesItsCommittedListing() throws IOException {
        Map<String, List<Class<?>>> classesByModule = PublicApiTest.classesByModule("semel-gateway"::equals);
        assertThat(PublicApiTest.CHECKED_BY_OWN_MODULE).contains("semel-gateway");
        assertThat(classesByModule).containsKey("semel-gateway");

        List<String> failures = PublicApiTest.check("semel-gateway", classesByModule.get("semel-gateway"),
                Boolean.getBoolean("semel.api.update"), UPDATE_COMMAND);
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures) + "\nIf the change is intended, rewrite the listing with\n  "
                    + UPDATE_COMMAND + "\nand commit it: the diff is the API change reviewers see.");
        }
    }
}
