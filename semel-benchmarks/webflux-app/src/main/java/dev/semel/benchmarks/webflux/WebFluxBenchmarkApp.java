package dev.semel.benchmarks.webflux;

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
import reactor.core.publisher.Mono;

/**
 * The WebFlux twin of the payments benchmark app (issue "Reactive services and a gateway"):
 * {@code POST /payments} with a small JSON body answers 201 with a small JSON body, on Netty.
 * One Spring profile per variant: {@code webflux-bare} (no idempotency), {@code webflux-semel-memory}
 * and {@code webflux-semel-redis} (the starter's WebFlux filter). {@code
 * semel-benchmarks/scripts/boot-load.sh} starts them one after another
 * ({@code APP=webflux VARIANTS="webflux-bare webflux-semel-memory webflux-semel-redis"}).
 */
@SpringBootApplication
public class WebFluxBenchmarkApp {
    public static void main(String[] args) {
        SpringApplication.run(WebFluxBenchmarkApp.class, args);
    }

    /** A payment request, as a client sends it. */
    public record Payment(long amount, String currency, String customer, String description) {
    }

    @RestController
    static class Payments {
        private final AtomicLong ids = new AtomicLong();

        @PostMapping("/payments")
        Mono<ResponseEntity<Map<String, Object>>> create(@RequestBody Mono<Payment> request) {
            return request.map(payment -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("id", "pay_" + ids.incrementAndGet());
                body.put("amount", payment.amount());
                body.put("currency", payment.currency());
                body.put("status", "created");
                return ResponseEntity.status(HttpStatus.CREATED).body(body);
            });
        }

        /** How many payments the handler created: the test checks that duplicates never ran it. */
        @GetMapping("/payments/count")
        long count() {
            return ids.get();
        }
    }
}
