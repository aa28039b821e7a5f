package dev.semel.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source that counts what its connections cost: statements executed (one database round
 * trip per {@code execute…} call, whatever the SQL says, with the SQL kept), connections
 * borrowed, transactions begun ({@code setAutoCommit(false)}) and ended ({@code commit},
 * {@code rollback}). Everything else passes through.
 */
final class CountingDataSource {
    private static final Set<String> EXECUTIONS = Set.of("execute", "executeQuery", "executeUpdate",
            "executeLargeUpdate", "executeBatch", "executeLargeBatch");

    private final AtomicInteger statements = new AtomicInteger();
    private final AtomicInteger borrows = new AtomicInteger();
    private final AtomicInteger transactions = new AtomicInteger();
    private final AtomicInteger commits = new AtomicInteger();
    private final List<String> sql = new CopyOnWriteArrayList<>();
    private final DataSource dataSource;

    CountingDataSource(DataSource target) {
        this.dataSource = proxy(DataSource.class, target, null, (method, args, result) -> {
            if (method.getName().equals("getConnection")) {
                borrows.incrementAndGet();
                return proxy(Connection.class, result, null, this::ofConnection);
            }
            return result;
        });
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** Statements executed since the last call, and starts counting afresh. */
    int takeStatements() {
        sql.clear();
        return statements.getAndSet(0);
    }

    /** What everything since the last call cost, and starts counting afresh. */
    Cost takeCost() {
        Cost cost = new Cost(statements.getAndSet(0), borrows.getAndSet(0), transactions.getAndSet(0),
                commits.getAndSet(0), new ArrayList<>(sql));
        sql.clear();
        return cost;
    }

    /**
     * What requests cost.
     *
     * @param statements statements executed (round trips)
     * @param borrows connections taken from the data source
     * @param transactions transactions begun ({@code setAutoCommit(false)})
     * @param ends commits and rollbacks
     * @param sql the statements, in order
     */
    record Cost(int statements, int borrows, int transactions, int ends, List<String> sql) {
        /** @return whether any statement wrote (insert, update, delete) or locked ({@code FOR UPDATE}) */
        boolean wroteOrLocked() {
            return sql.stream().map(s -> s.stripLeading().toUpperCase(java.util.Locale.ROOT))
                    .anyMatch(s -> !s.startsWith("SELECT") || s.contains("FOR UPDATE"));
        }
    }

    private Object ofConnection(Method method, Object[] args, Object result) {
        switch (method.getName()) {
            case "setAutoCommit" -> {
                if (Boolean.FALSE.equals(args[0])) {
                    transactions.incrementAndGet();
                }
            }
            case "commit", "rollback" -> commits.incrementAndGet();
            default -> {
            }
        }
        Class<?> type = method.getReturnType();
        if (type == Statement.class || type == PreparedStatement.class || type == CallableStatement.class) {
            String prepared = args != null && args.length > 0 && args[0] instanceof String s ? s : null;
            return proxy(type, result, prepared, (m, a, r) -> r);
        }
        return result;
    }

    private void before(Method method, Object[] args, String prepared) {
        if (EXECUTIONS.contains(method.getName()) && Statement.class.isAssignableFrom(method.getDeclaringClass())) {
            statements.incrementAndGet(); // counted even if it fails: the round trip happened
            if (args != null && args.length > 0 && args[0] instanceof String s) {
                sql.add(s);
            } else if (prepared != null) {
                sql.add(prepared);
            }
        }
    }

    @FunctionalInterface
    private interface AfterCall {
        Object after(Method method, Object[] args, Object result);
    }

    private <T> T proxy(Class<T> type, Object target, String prepared, AfterCall after) {
        InvocationHandler handler = (p, method, args) -> {
            before(method, args, prepared);
            try {
                return after.after(method, args, method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type},
                handler));
    }
}
