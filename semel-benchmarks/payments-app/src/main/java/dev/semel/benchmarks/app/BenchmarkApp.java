package dev.semel.benchmarks.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application of the side-by-side HTTP benchmark (issue "Cheaper than a hand-written
 * filter"): {@code POST /payments} with a small JSON body answers 201 with a small JSON body.
 * One Spring profile per variant: {@code bare}, the baselines {@code naive-redis} and
 * {@code naive-postgres} (hand-written filters, see the {@code baseline} package), and
 * {@code semel-memory}, {@code semel-redis}, {@code semel-postgres} (the starter).
 * {@code semel-benchmarks/scripts/boot-load.sh} starts them one after another.
 */
@SpringBootApplication
public class BenchmarkApp {
    public static void main(String[] args) {
        SpringApplication.run(BenchmarkApp.class, args);
    }

    /** A payment request, as a client sends it. */
    public record Payment(long amount, String currency, String customer, String description) {
    }

    @RestController
    static class Payments {
        private final AtomicLong ids = new AtomicLong();

        @PostMapping("/payments")
        ResponseEntity<Map<String, Object>> create(@RequestBody Payment payment) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", "pay_" + ids.incrementAndGet());
            body.put("amount", payment.amount());
            body.put("currency", payment.currency());
            body.put("status", "created");
            return ResponseEntity.status(HttpStatus.CREATED).body(body);
        }

        /** How many payments the handler created: the test checks that duplicates never ran it. */
        @GetMapping("/payments/count")
        long count() {
            return ids.get();
        }
    }
}
