package dev.semel.examples.payments;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * A small payments API that shows what Semel does over HTTP: a retried {@code POST /payments}
 * with the same {@code Idempotency-Key} charges once and gets the first answer again.
 *
 * <p>Run it with {@code java -jar examples/payments/target/payments.jar}; the README next to
 * this module lists the settings, the curl commands and the sandbox recipients.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PaymentsApplication {

    /**
     * Starts the service (port 8080 unless {@code server.port} / {@code SERVER_PORT} says otherwise).
     *
     * @param args Spring Boot command-line arguments, e.g. {@code --server.port=9090}; or
     *             {@code retry-demo} and its options to run {@link RetryDemo} instead
     * @throws Exception if the retry demo fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("retry-demo")) {
            RetryDemo.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        SpringApplication.run(PaymentsApplication.class, args);
    }
}
