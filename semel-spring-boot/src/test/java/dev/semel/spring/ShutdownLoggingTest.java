package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Semel logs through {@code System.Logger}, which Spring Boot bridges into its logging system
 * through {@code java.util.logging}. Boot removes that bridge while the context closes, before
 * the beans are destroyed (spring-boot#33697), so without the starter's own handler what Semel
 * logged from then on was never printed (this test failed so before the fix).
 */
@ExtendWith(OutputCaptureExtension.class)
class ShutdownLoggingTest {

    @Test
    void aWarningSemelLogsWhileTheContextClosesIsPrinted(CapturedOutput output) {
        String probe = "shutdown-probe-" + UUID.randomUUID();
        SpringApplication application = new SpringApplication(App.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        ConfigurableApplicationContext context = application.run("--semel.store.type=memory",
                "--shutdown.probe=" + probe);
        System.getLogger("dev.semel.ShutdownLoggingTest").log(System.Logger.Level.WARNING, "running-" + probe);
        context.close();

        assertThat(output).as("logged while running").contains("running-" + probe);
        assertThat(output).as("logged by a bean being destroyed").contains("destroyed-" + probe);
    }

    @Test
    void aSecondContextInTheSameJvmPrintsEachWarningOnce(CapturedOutput output) {
        for (int i = 0; i < 2; i++) {
            SpringApplication application = new SpringApplication(App.class);
            application.setWebApplicationType(WebApplicationType.NONE);
            application.run("--semel.store.type=memory", "--shutdown.probe=unused").close();
        }
        String probe = "once-" + UUID.randomUUID();
        SpringApplication application = new SpringApplication(App.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        ConfigurableApplicationContext context = application.run("--semel.store.type=memory",
                "--shutdown.probe=unused");
        System.getLogger("dev.semel.ShutdownLoggingTest").log(System.Logger.Level.WARNING, probe);
        context.close();
        assertThat(output.toString().split(probe, -1)).as("printed exactly once").hasSize(2);
    }

    @Test
    void whileTheContextRunsSemelsRecordsStillReachTheRootLoggersOtherHandlers() {
        SpringApplication application = new SpringApplication(App.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        ConfigurableApplicationContext context = application.run("--semel.store.type=memory",
                "--shutdown.probe=unused");
        List<String> seen = new CopyOnWriteArrayList<>();
        Handler agent = new Handler() { // e.g. a monitoring agent's handler on the JUL root logger
            @Override
            public void publish(LogRecord record) {
                seen.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger.getLogger("").addHandler(agent);
        try {
            System.getLogger("dev.semel.ShutdownLoggingTest").log(System.Logger.Level.WARNING, "to-the-agent");
        } finally {
            Logger.getLogger("").removeHandler(agent);
            context.close();
        }
        assertThat(seen).contains("to-the-agent");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(SemelAutoConfiguration.class)
    static class App {
        @Bean
        Probe probe(org.springframework.core.env.Environment environment) {
            return new Probe(environment.getProperty("shutdown.probe"));
        }
    }

    /** Logs, as Semel's own classes do, while the context destroys it. */
    static final class Probe implements org.springframework.beans.factory.DisposableBean {
        private final String text;

        Probe(String text) {
            this.text = text;
        }

        @Override
        public void destroy() {
            System.getLogger("dev.semel.ShutdownProbe").log(System.Logger.Level.WARNING, "destroyed-" + text);
        }
    }
}
