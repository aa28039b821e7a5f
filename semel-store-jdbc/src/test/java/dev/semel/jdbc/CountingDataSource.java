package dev.semel.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source that counts the statements executed through its connections: one database
 * round trip per {@code execute…} call, whatever the SQL says. Everything else passes through.
 */
final class CountingDataSource {
    private static final Set<String> EXECUTIONS = Set.of("execute", "executeQuery", "executeUpdate",
            "executeLargeUpdate", "executeBatch", "executeLargeBatch");

    private final AtomicInteger statements = new AtomicInteger();
    private final DataSource dataSource;

    CountingDataSource(DataSource target) {
        this.dataSource = proxy(DataSource.class, target, (method, result) ->
                method.getName().equals("getConnection") ? proxy(Connection.class, result, this::statementOf) : result);
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** Statements executed since the last call, and starts counting afresh. */
    int takeStatements() {
        return statements.getAndSet(0);
    }

    private Object statementOf(Method method, Object result) {
        Class<?> type = method.getReturnType();
        if (type == Statement.class || type == PreparedStatement.class || type == CallableStatement.class) {
            return proxy(type, result, (m, r) -> r);
        }
        return result;
    }

    private void before(Method method) {
        if (EXECUTIONS.contains(method.getName()) && Statement.class.isAssignableFrom(method.getDeclaringClass())) {
            statements.incrementAndGet(); // counted even if it fails: the round trip happened
        }
    }

    @FunctionalInterface
    private interface AfterCall {
        Object after(Method method, Object result);
    }

    private <T> T proxy(Class<T> type, Object target, AfterCall after) {
        InvocationHandler handler = (p, method, args) -> {
            before(method);
            try {
                return after.after(method, method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type},
                handler));
    }
}
