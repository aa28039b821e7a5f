package dev.semel.examples.payments;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The application for the browser tests, on an H2 file as by default: slow payments take long
 * enough to reload or open a tab meanwhile, and the flaky-network proxy drops half the answers
 * with a seed whose first payment answer is dropped and second delivered.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "payments.provider.latency=0ms", "payments.provider.slow-latency=1500ms",
        "payments.flaky-network.drop-rate=0.5", "payments.flaky-network.seed=1000003"})
@Import(BrowserTestSupport.Arrivals.Configuration.class)
@ExtendWith(RealBrowser.class)
abstract class BrowserTestSupport {
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @LocalServerPort
    int port;
    @Autowired
    Arrivals arrivals;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> TestDatabases.h2File(Path.of("target", "test-data", "browser-" + UUID.randomUUID())));
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    Api api() {
        return Api.onPort(port);
    }

    static WebDriverWait waiting(ChromeDriver driver) {
        return new WebDriverWait(driver, Duration.ofSeconds(20), Duration.ofMillis(50));
    }

    static WebElement byId(ChromeDriver driver, String id) {
        return driver.findElement(By.id(id));
    }

    static void screenshot(ChromeDriver driver, String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Counts the payment requests that reached the server, by Idempotency-Key: the tests wait on
     * it (a request really sent) instead of on time, and show that a duplicate was really sent.
     */
    static final class Arrivals extends OncePerRequestFilter {
        private final Map<String, AtomicInteger> byKey = new ConcurrentHashMap<>();

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String key = request.getHeader("Idempotency-Key");
            if (key != null && request.getMethod().equals("POST")) {
                byKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            }
            chain.doFilter(request, response);
        }

        int of(String key) {
            AtomicInteger count = byKey.get(key);
            return count == null ? 0 : count.get();
        }

        @TestConfiguration(proxyBeanMethods = false)
        static class Configuration {
            @Bean
            Arrivals arrivals() {
                return new Arrivals();
            }

            @Bean
            FilterRegistrationBean<Arrivals> arrivalsRegistration(Arrivals arrivals) {
                FilterRegistrationBean<Arrivals> registration = new FilterRegistrationBean<>(arrivals);
                registration.setOrder(Integer.MIN_VALUE);
                return registration;
            }
        }
    }
}
