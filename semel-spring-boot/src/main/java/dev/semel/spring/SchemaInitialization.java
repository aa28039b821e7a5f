package dev.semel.spring;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.util.ClassUtils;

/** Decides whether the JDBC store runs its schema script, as {@code spring.sql.init.mode} decides for schema.sql. */
final class SchemaInitialization {
    private static final boolean BOOT_JDBC_PRESENT = ClassUtils.isPresent(
            "org.springframework.boot.jdbc.EmbeddedDatabaseConnection", SchemaInitialization.class.getClassLoader());

    private SchemaInitialization() {
    }

    static boolean runsScript(SemelProperties.SchemaInitialization mode, DataSource dataSource) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case EMBEDDED -> isEmbedded(dataSource);
        };
    }

    /** Boot's own test when spring-boot-jdbc is there (the same answer spring.sql.init gets), else by URL. */
    static boolean isEmbedded(DataSource dataSource) {
        if (BOOT_JDBC_PRESENT) {
            return BootJdbc.isEmbedded(dataSource);
        }
        try (Connection connection = dataSource.getConnection()) {
            return isEmbeddedUrl(connection.getMetaData().getURL());
        } catch (SQLException e) {
            return false;
        }
    }

    static boolean isEmbeddedUrl(String url) {
        String u = url == null ? "" : url.toLowerCase(Locale.ROOT);
        return u.startsWith("jdbc:h2:mem:") || u.startsWith("jdbc:hsqldb:mem:") || u.startsWith("jdbc:derby:memory:");
    }

    /** Kept apart so this class loads without spring-boot-jdbc. */
    private static final class BootJdbc {
        static boolean isEmbedded(DataSource dataSource) {
            return EmbeddedDatabaseConnection.isEmbedded(dataSource);
        }
    }
}
