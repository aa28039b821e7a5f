package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyConfig;
import dev.semel.WaitPolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Named policies are checked when the application starts: a policy that an {@code @Idempotent}
 * names but nobody defined, or a bad value in a policy, fails the startup with a message that says
 * which policy or property, where it was named, and what is defined.
 */
@ExtendWith(OutputCaptureExtension.class)
class NamedPoliciesStartupTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory", "semel.policies.refunds.ttl=1h",
                    "semel.policies.reports.lease=2m");

    @RestController
    static class RefundsController {
        @Idempotent(policy = "refundz")
        @PostMapping("/refunds")
        String refund() {
            return "refunded";
        }
    }

    static class Ledger {
        @Idempotent(key = "#id", policy = "booking")
        public String book(String id) {
            return id;
        }
    }

    @Idempotent(key = "#id", policy = "shipping")
    static class Shipping {
        public String ship(String id) {
            return id;
        }
    }

    static class KnownPolicies {
        @Idempotent(key = "#id", policy = "refunds")
        public String refund(String id) {
            return id;
        }

        @Idempotent(key = "#id", policy = "default")
        public String plain(String id) {
            return id;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(RefundsController.class)
    static class WithController {
    }

    @Configuration(proxyBeanMethods = false)
    static class WithBeans {
        @Bean
        Ledger ledger() {
            return new Ledger();
        }

        @Bean
        Shipping shipping() {
            return new Shipping();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class WithKnownPolicies {
        @Bean
        KnownPolicies knownPolicies() {
            return new KnownPolicies();
        }
    }

    @Test
    void anUnknownPolicyOnAControllerFailsTheStartupNamingThePolicyTheHandlerAndTheDefinedPolicies() {
        runner.withUserConfiguration(WithController.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription())
                    .contains("policy \"refundz\"")
                    .contains("@Idempotent(policy = \"refundz\") on " + RefundsController.class.getName() + "#refund")
                    .contains("[default, refunds, reports]");
            assertThat(analysis.getAction()).contains("semel.policies.refundz.").contains("[default, refunds, reports]");
        });
    }

    @Test
    void unknownPoliciesOnBeanMethodsAndClassesAreAllNamedInOneFailure() {
        runner.withUserConfiguration(WithBeans.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription())
                    .contains("\"booking\"", Ledger.class.getName() + "#book")
                    .contains("\"shipping\"", "on " + Shipping.class.getName())
                    .contains("[default, refunds, reports]");
        });
    }

    @Test
    void policiesThatAreDefinedStartAndTheSemelPoliciesBeanHoldsTheirResolvedSettings() {
        runner.withUserConfiguration(WithKnownPolicies.class)
                .withPropertyValues("semel.lease=45s", "semel.in-progress.max-wait=7s",
                        "semel.policies.default.ttl=2h", "semel.policies.default.in-progress=wait",
                        "semel.policies.refunds.stored-outcomes=final,503",
                        "semel.policies.reports.path-patterns=/reports/**, /exports/*")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SemelPolicies policies = context.getBean(SemelPolicies.class);
                    assertThat(policies.names()).containsExactly("default", "refunds", "reports");

                    SemelPolicy defaults = policies.defaultPolicy();
                    assertThat(defaults.ttl()).isEqualTo(Duration.ofHours(2));
                    assertThat(defaults.lease()).as("from semel.lease").isEqualTo(Duration.ofSeconds(45));
                    assertThat(defaults.waitPolicy()).isEqualTo(WaitPolicy.waitUpTo(Duration.ofSeconds(7)));

                    SemelPolicy refunds = policies.get("refunds");
                    assertThat(refunds.ttl()).isEqualTo(Duration.ofHours(1));
                    assertThat(refunds.lease()).as("inherited through default from semel.lease")
                            .isEqualTo(Duration.ofSeconds(45));
                    assertThat(refunds.inProgress()).as("from the default policy")
                            .isEqualTo(SemelProperties.InProgressPolicy.WAIT);
                    assertThat(refunds.storedOutcomes()).containsExactly("final", "503");
                    assertThat(refunds.outcomePolicy().shouldStore(503)).isTrue();
                    assertThat(refunds.outcomePolicy().shouldStore(500)).isFalse();
                    assertThat(refunds.pathPatterns()).isEmpty();

                    SemelPolicy reports = policies.get("reports");
                    assertThat(reports.lease()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(reports.ttl()).as("from the default policy").isEqualTo(Duration.ofHours(2));
                    assertThat(reports.storedOutcomes()).as("from semel.stored-outcomes").containsExactly("final");
                    assertThat(reports.pathPatterns()).containsExactly("/reports/**", "/exports/*");

                    assertThat(policies.find("refundz")).isEmpty();
                    assertThatThrownBy(() -> policies.get("refundz")).isInstanceOf(SemelConfigurationException.class)
                            .hasMessageContaining("\"refundz\"").hasMessageContaining("[default, refunds, reports]");
                });
    }

    @Test
    void theEngineConfigurationTakesTheDefaultPolicyBeforeTheTopLevelProperties() {
        runner.withPropertyValues("semel.ttl=24h", "semel.lease=30s", "semel.policies.default.ttl=3h",
                "semel.policies.default.stored-outcomes=including-server-errors").run(context -> {
                    IdempotencyConfig config = context.getBean(IdempotencyConfig.class);
                    assertThat(config.ttl()).isEqualTo(Duration.ofHours(3));
                    assertThat(config.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(config.outcomePolicy().shouldStore(500)).isTrue();
                });
    }

    @Test
    void anApplicationsOwnSemelPoliciesBeanIsTheOneUsed() {
        runner.withUserConfiguration(OwnPolicies.class, WithController.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(SemelPolicies.class).names()).containsExactly("default", "refundz");
            assertThat(context.getBean(IdempotencyConfig.class).ttl()).as("its default policy")
                    .isEqualTo(Duration.ofMinutes(42));
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPolicies {
        @Bean
        SemelPolicies myPolicies() {
            SemelProperties properties = new SemelProperties();
            SemelProperties.Policy refundz = new SemelProperties.Policy();
            refundz.setTtl(Duration.ofMinutes(5));
            SemelProperties.Policy defaults = new SemelProperties.Policy();
            defaults.setTtl(Duration.ofMinutes(42));
            properties.getPolicies().put("default", defaults);
            properties.getPolicies().put("refundz", refundz);
            return SemelPolicies.from(properties);
        }
    }

    @Test
    void anUnknownPolicyIsExplainedInSpringBootsFailureReport(CapturedOutput output) {
        SpringApplication application = new SpringApplication(ControllerApp.class);
        application.setWebApplicationType(WebApplicationType.NONE);

        assertThatThrownBy(() -> application.run("--semel.store.type=memory", "--semel.policies.refunds.ttl=1h",
                "--spring.main.banner-mode=off")).isInstanceOf(SemelConfigurationException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("Semel has no such policy: policy \"refundz\", named by @Idempotent(policy = \"refundz\") on "
                        + RefundsController.class.getName() + "#refund")
                .contains("The defined policies are [default, refunds]")
                .contains("Define the policy under semel.policies");
    }

    @Test
    void aBadValueInAPolicyFailsTheStartupNamingTheFullProperty(CapturedOutput output) {
        for (List<String> bad : List.of(
                List.of("semel.policies.refunds.ttl=-5m"),
                List.of("semel.policies.refunds.lease=0s"),
                List.of("semel.policies.default.max-wait=-1s"),
                List.of("semel.policies.refunds.stored-outcomes=final,6xx"),
                List.of("semel.policies.reports.path-patterns=reports/**"),
                List.of("semel.policies.reports.path-patterns=/reports/**", "semel.policies.refunds.path-patterns=/reports/**"),
                List.of("semel.policies.refunds.in-progress=later"))) {
            SpringApplication application = new SpringApplication(NoWebApp.class);
            application.setWebApplicationType(WebApplicationType.NONE);
            String[] args = bad.stream().map(p -> "--" + p).toArray(String[]::new);
            assertThatThrownBy(() -> application.run(args)).as(bad.toString()).isNotNull();
        }
        assertThat(output)
                .contains("Property: semel.policies.refunds.ttl\n", "Property: semel.policies.refunds.lease\n",
                        "Property: semel.policies.default.max-wait\n",
                        "Property: semel.policies.refunds.stored-outcomes\n",
                        "Reason: semel.policies.refunds.stored-outcomes: '6xx' is not final",
                        "Property: semel.policies.reports.path-patterns\n", "'reports/**' is not a path pattern",
                        "'/reports/**' is already a path pattern of semel.policies.",
                        "semel.policies.refunds.in-progress");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(SemelAutoConfiguration.class)
    static class NoWebApp {
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(SemelAutoConfiguration.class)
    @Import(RefundsController.class)
    static class ControllerApp {
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        assertThat(context.getStartupFailure()).isInstanceOf(SemelConfigurationException.class);
        FailureAnalysis analysis = new SemelFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }
}
