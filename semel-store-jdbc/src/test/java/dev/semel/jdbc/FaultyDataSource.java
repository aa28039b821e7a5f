package dev.semel.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A data source in front of a real database that can fail the next statements with an error
 * the database would raise (a deadlock, a syntax error), hand out connections with autocommit
 * off as some pools do, and record what the store set on its connections and statements.
 */
final class FaultyDataSource {
    private static final Set<String> EXECUTIONS = Set.of("execute", "executeQuery", "executeUpdate",
            "executeLargeUpdate");

    private final DataSource target;
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile Supplier<SQLException> failure;
    private final AtomicInteger executions = new AtomicInteger();
    private volatile boolean autoCommitOff;
    /** The autocommit mode of each connection when the store closed it. */
    final List<Boolean> autoCommitAtClose = new CopyOnWriteArrayList<>();
    /** Every query timeout the store set on a statement. */
    final List<Integer> queryTimeouts = new CopyOnWriteArrayList<>();

    FaultyDataSource(DataSource target) {
        this.target = target;
    }

    /** The next {@code times} statement executions fail with the error, before reaching the database. */
    void failNext(int times, Supplier<SQLException> error) {
        this.failure = error;
        this.failuresLeft.set(times);
    }

    /** Connections come with autocommit off, like a pool configured with {@code autoCommit=false}. */
    void handOutConnectionsWithAutoCommitOff() {
        this.autoCommitOff = true;
    }

    /** Statement executions attempted since the last call (failed ones included). */
    int takeExecutions() {
        return executions.getAndSet(0);
    }

    DataSource dataSource() {
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (p, m, args) -> {
                    Object result = invoke(target, m, args);
                    if (m.getName().equals("getConnection")) {
                        Connection c = (Connection) result;
                        if (autoCommitOff) {
                            c.setAutoCommit(false);
                        }
                        return connection(c);
                    }
                    return result;
                });
    }

    private Connection connection(Connection c) {
        InvocationHandler handler = (p, m, args) -> {
            if (m.getName().equals("close")) {
                autoCommitAtClose.add(c.getAutoCommit());
            }
            Object result = invoke(c, m, args);
            if (result instanceof PreparedStatement ps) {
                return statement(PreparedStatement.class, ps);
            }
            if (result instanceof Statement st) {
                return statement(Statement.class, st);
            }
            return result;
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                handler);
    }

    private <T extends Statement> T statement(Class<T> type, T st) {
        InvocationHandler handler = (p, m, args) -> {
            if (m.getName().equals("setQueryTimeout")) {
                queryTimeouts.add((Integer) args[0]);
            }
            if (EXECUTIONS.contains(m.getName())) {
                executions.incrementAndGet();
                if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw failure.get();
                }
            }
            return invoke(st, m, args);
        };
        return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, handler));
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static SQLException deadlock(String sqlState, int errorCode) {
        return new SQLException("deadlock detected", sqlState, errorCode);
    }
}
