package dev.semel.examples.payments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The machine's headless Chromium, driven through its chromedriver, one per test run and shared by
 * the browser test classes (a {@link ChromeDriver} parameter). Where Chromium or chromedriver is not
 * installed, the classes that use this are skipped, with one line saying how to run them.
 *
 * <p>Looked up as {@code SEMEL_CHROMIUM} / {@code SEMEL_CHROMEDRIVER} when set, else on the
 * {@code PATH} ({@code chromium}, {@code chromium-browser}, {@code google-chrome};
 * {@code chromedriver}). Selenium's own driver download is never used: it needs the internet.
 */
final class RealBrowser implements ExecutionCondition, BeforeAllCallback, ParameterResolver {
    private static final AtomicBoolean TOLD = new AtomicBoolean();
    static final String HOW_TO_RUN = "install chromium and chromium-driver (Debian: apt-get install -y chromium chromium-driver;"
            + " .ci/run does this) or set SEMEL_CHROMIUM and SEMEL_CHROMEDRIVER, then run ./mvnw -B -pl examples/payments -am verify";

    /** Skips the whole class, before its application starts, where there is no browser to drive. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<Path> browser = executable("SEMEL_CHROMIUM", "chromium", "chromium-browser", "google-chrome");
        Optional<Path> driver = executable("SEMEL_CHROMEDRIVER", "chromedriver");
        if (browser.isPresent() && driver.isPresent()) {
            return ConditionEvaluationResult.enabled("Chromium and chromedriver found");
        }
        String reason = "Browser tests skipped: " + (browser.isEmpty() ? "no Chromium" : "no chromedriver")
                + " found; to run them, " + HOW_TO_RUN + ".";
        if (TOLD.compareAndSet(false, true)) {
            System.out.println(reason);
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Optional<Path> browser = executable("SEMEL_CHROMIUM", "chromium", "chromium-browser", "google-chrome");
        Optional<Path> driver = executable("SEMEL_CHROMEDRIVER", "chromedriver");
        Assumptions.assumeTrue(browser.isPresent() && driver.isPresent(), "no Chromium or chromedriver");
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(Session.class, key -> new Session(browser.get(), driver.get()), Session.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ChromeDriver.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).get(Session.class, Session.class).driver;
    }

    private static Optional<Path> executable(String variable, String... names) {
        String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathVariable = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        for (String name : names) {
            for (String dir : pathVariable.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** One Chromium for the whole run, closed (with its profile directory) when the run ends. */
    private static final class Session implements AutoCloseable {
        final ChromeDriver driver;
        final Path profile;

        Session(Path browser, Path driverExecutable) {
            try {
                profile = Files.createTempDirectory("semel-chromium-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            ChromeOptions options = new ChromeOptions();
            options.setBinary(browser.toFile());
            // Headless as root needs --no-sandbox; the rest keeps Chromium off the network and quiet.
            options.addArguments(List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--disable-extensions", "--window-size=1280,1500",
                    "--user-data-dir=" + profile));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(driverExecutable.toFile())
                    .usingAnyFreePort()
                    .build();
            driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)).scriptTimeout(Duration.ofSeconds(20));
        }

        @Override
        public void close() throws IOException {
            try {
                driver.quit();
            } finally {
                try (Stream<Path> paths = Files.walk(profile)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(path);
                    }
                } catch (IOException e) {
                    // a leftover temp directory is not worth failing the run for
                }
            }
        }
    }
}
