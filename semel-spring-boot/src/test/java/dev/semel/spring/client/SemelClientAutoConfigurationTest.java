package dev.semel.spring.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.client.RetryListener;
import dev.semel.client.RetryPolicy;
import dev.semel.client.RetryingRestClientInterceptor;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.web.client.RestClient;

/** semel.client.* bound into RetryPolicies, the registry naming, the customizers and the conditions. */
class SemelClientAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelClientAutoConfiguration.class));

    @Test
    void withoutPropertiesEveryClientGetsRetryPolicysOwnDefaults() {
        runner.run(context -> {
            RetryPolicy policy = context.getBean(RetryPolicies.class).get("payments");
            RetryPolicy defaults = RetryPolicy.ofDefaults();

            assertThat(policy.maxAttempts()).isEqualTo(defaults.maxAttempts());
            assertThat(policy.initialBackoff()).isEqualTo(defaults.initialBackoff());
            assertThat(policy.maxBackoff()).isEqualTo(defaults.maxBackoff());
            assertThat(policy.deadline()).isEqualTo(defaults.deadline());
            assertThat(policy.maxRetryAfter()).isEqualTo(defaults.maxRetryAfter());
            assertThat(policy.retryableStatuses()).isEqualTo(defaults.retryableStatuses());
            assertThat(policy.keyedMethods()).isEqualTo(defaults.keyedMethods());
            assertThat(policy.headerName()).isEqualTo(defaults.headerName());
        });
    }

    @Test
    void bindsTheDefaultsOfEveryClientAndLetsANamedInstanceOverrideThem() {
        runner.withPropertyValues(
                "semel.client.max-attempts=6",
                "semel.client.backoff.initial=100ms",
                "semel.client.backoff.max=2s",
                "semel.client.deadline=20s",
                "semel.client.max-retry-after=45s",
                "semel.client.retry-on-server-error=true",
                "semel.client.header-name=X-Request-Key",
                "semel.client.instances.payments.max-attempts=9",
                "semel.client.instances.payments.backoff.max=30s",
                "semel.client.instances.payments.max-retry-after=2m",
                "semel.client.instances.payments.retryable-statuses=503,504",
                "semel.client.instances.payments.retry-on-server-error=false",
                "semel.client.instances.payments.keyed-methods=post,put",
                "semel.client.instances.payments.key-generator=uuid-v4")
                .run(context -> {
                    RetryPolicies policies = context.getBean(RetryPolicies.class);
                    RetryPolicy payments = policies.get("payments");
                    RetryPolicy ledger = policies.get("ledger");

                    assertThat(payments.maxAttempts()).isEqualTo(9);
                    assertThat(payments.initialBackoff()).isEqualTo(Duration.ofMillis(100));
                    assertThat(payments.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(payments.deadline()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(payments.maxRetryAfter()).contains(Duration.ofMinutes(2));
                    assertThat(payments.retryableStatuses()).containsExactly(503, 504);
                    assertThat(payments.keyedMethods()).containsExactlyInAnyOrder("POST", "PUT");
                    assertThat(payments.headerName()).isEqualTo("X-Request-Key");

                    assertThat(ledger.maxAttempts()).isEqualTo(6);
                    assertThat(ledger.maxBackoff()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(ledger.maxRetryAfter()).contains(Duration.ofSeconds(45));
                    assertThat(ledger.retryableStatuses()).contains(500);
                    assertThat(ledger.keyedMethods()).containsExactlyInAnyOrder("POST", "PATCH");
                });
    }

    @Test
    void theSameNameGivesTheSamePolicy() {
        runner.run(context -> {
            RetryPolicies policies = context.getBean(RetryPolicies.class);
            assertThat(policies.get("ledger")).isSameAs(policies.get("ledger")).isNotSameAs(policies.get("payments"));
        });
    }

    @Test
    void aSettingRetryPolicyRefusesStopsStartupNamingTheInstance() {
        runner.withPropertyValues("semel.client.instances.payments.backoff.initial=20s")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("semel.client.instances.payments: max backoff"));
    }

    @Test
    void namesEachClientsRetryInTheApplicationsRegistry() {
        runner.withUserConfiguration(ApplicationRegistry.class)
                .withPropertyValues("semel.client.instances.payments.max-attempts=5",
                        "semel.client.instances.ledger.max-attempts=2")
                .run(context -> {
                    RetryRegistry registry = context.getBean(RetryRegistry.class);
                    // configured instances are registered at startup, so their metrics exist from the start
                    assertThat(registry.getAllRetries()).extracting(Retry::getName)
                            .contains("semel-client-payments", "semel-client-ledger");
                    RetryPolicy payments = context.getBean(RetryPolicies.class).get("payments");
                    assertThat(payments.retry()).isSameAs(registry.retry("semel-client-payments"));
                    assertThat(payments.retry().getRetryConfig().getMaxAttempts()).isEqualTo(5);
                    RetryPolicy other = context.getBean(RetryPolicies.class).get("search");
                    assertThat(other.retry()).isSameAs(registry.retry("semel-client-search"));
                });
    }

    @Test
    void withoutARegistryBeanNamesRetriesPerClientAllTheSame() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(RetryRegistry.class);
            RetryPolicies policies = context.getBean(RetryPolicies.class);
            assertThat(policies.get("payments").retry().getName()).isEqualTo("semel-client-payments");
            assertThat(policies.get("ledger").retry().getName()).isEqualTo("semel-client-ledger");
        });
    }

    @Test
    void appliesEveryCustomizerInOrderWithTheClientName() {
        runner.withUserConfiguration(Customizers.class).run(context -> {
            RetryPolicies policies = context.getBean(RetryPolicies.class);
            assertThat(policies.get("payments").maxAttempts()).isEqualTo(3);
            assertThat(policies.get("ledger").maxAttempts()).isEqualTo(8);
            assertThat(policies.get("ledger").deadline()).isEqualTo(Duration.ofSeconds(7));
            assertThat(context.getBean(Customizers.class).seen).containsSubsequence("first:payments", "second:payments");
        });
    }

    @Test
    void anApplicationsRetryPoliciesWins() {
        RetryPolicy mine = RetryPolicy.custom().maxAttempts(2).build();
        runner.withBean(RetryPolicies.class, () -> name -> mine)
                .run(context -> assertThat(context.getBean(RetryPolicies.class).get("payments")).isSameAs(mine));
    }

    @Test
    void customizesBootsRestClientBuilderOnlyWhenAskedTo() {
        ApplicationContextRunner withRestClient = runner.withConfiguration(AutoConfigurations.of(
                ImperativeHttpClientAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class,
                RestClientAutoConfiguration.class)).withUserConfiguration(ApplicationRegistry.class);
        withRestClient.withPropertyValues("semel.client.rest-client.enabled=true").run(context -> {
            assertThat(interceptorsOf(context.getBean(RestClient.Builder.class)))
                    .hasAtLeastOneElementOfType(RetryingRestClientInterceptor.class);
            assertThat(context.getBean(RetryRegistry.class).getAllRetries())
                    .extracting(Retry::getName).contains("semel-client-rest-client");
        });
        withRestClient.run(context -> {
            assertThat(context).doesNotHaveBean("semelRetryingRestClientCustomizer").hasSingleBean(RetryPolicies.class);
            assertThat(interceptorsOf(context.getBean(RestClient.Builder.class)))
                    .doesNotHaveAnyElementsOfTypes(RetryingRestClientInterceptor.class);
        });
    }

    private static List<ClientHttpRequestInterceptor> interceptorsOf(RestClient.Builder builder) {
        List<ClientHttpRequestInterceptor> interceptors = new ArrayList<>();
        builder.requestInterceptors(interceptors::addAll);
        return interceptors;
    }

    @Test
    void withoutBootsRestClientSupportOnlyThePoliciesAreConfigured() {
        runner.withClassLoader(new FilteredClassLoader(RestClientCustomizer.class))
                .run(context -> assertThat(context).hasSingleBean(RetryPolicies.class)
                        .doesNotHaveBean(RestClientCustomizer.class));
    }

    @Test
    void backsOffWithoutTheClientModule() {
        runner.withClassLoader(new FilteredClassLoader(RetryPolicy.class))
                .run(context -> assertThat(context).doesNotHaveBean(RetryPolicies.class)
                        .doesNotHaveBean(SemelClientProperties.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class ApplicationRegistry {
        @Bean
        RetryRegistry retryRegistry() {
            return RetryRegistry.ofDefaults();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Customizers {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Bean
        @Order(2)
        RetryPolicyCustomizer second() {
            return (name, policy) -> {
                seen.add("second:" + name);
                if (name.equals("payments")) {
                    policy.maxAttempts(3);
                }
            };
        }

        @Bean
        @Order(1)
        RetryPolicyCustomizer first() {
            return (name, policy) -> {
                seen.add("first:" + name);
                policy.deadline(Duration.ofSeconds(7)).maxAttempts(8).listener(RetryListener.NONE);
            };
        }
    }
}
