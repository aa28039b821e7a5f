package dev.semel.spring;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Bounds how long Spring Boot's Hikari pool lets a request wait for a connection by
 * {@code semel.store.timeout} (default 1 s), so that an unreachable database turns into a 503
 * with {@code Retry-After} within about a second instead of Hikari's 30 s. The JDBC store gets
 * its connections from this pool (in transactional mode through the transaction manager), so
 * the pool's wait is the store call's deadline for reaching the database.
 *
 * <p>Only the DataSource Spring Boot auto-configures (bean {@code dataSource}) is touched, and
 * only when the application has not set {@code spring.datasource.hikari.connection-timeout}
 * itself. The validation timeout is lowered to the same bound: Hikari checks an idle
 * connection before lending it, and that check must not outlast the wait.
 */
final class HikariConnectionWait implements BeanPostProcessor {
    /** Hikari refuses a connection timeout below 250 ms. */
    static final long HIKARI_MINIMUM_MILLIS = 250;

    private final Environment environment;

    HikariConnectionWait(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource hikari && "dataSource".equals(beanName)) {
            bound(hikari);
        }
        return bean;
    }

    private void bound(HikariDataSource hikari) {
        Binder binder = Binder.get(environment);
        if (binder.bind("spring.datasource.hikari.connection-timeout", Bindable.of(String.class)).isBound()) {
            return; // the application chose its own wait
        }
        Duration timeout = binder.bind("semel.store.timeout", Bindable.of(Duration.class)).orElse(Duration.ofSeconds(1));
        long millis = Math.max(HIKARI_MINIMUM_MILLIS, timeout.toMillis());
        if (hikari.getConnectionTimeout() > millis) {
            hikari.setConnectionTimeout(millis);
        }
        if (hikari.getValidationTimeout() > millis) {
            hikari.setValidationTimeout(millis);
        }
    }
}
