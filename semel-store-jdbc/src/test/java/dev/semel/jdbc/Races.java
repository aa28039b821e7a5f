package dev.semel.jdbc;

import dev.semel.tck.IdempotencyStoreContract;
import java.util.List;

/** The contract suite's race helper (threads released together by a latch) for tests outside the contract. */
abstract class Races extends IdempotencyStoreContract {
    private Races() {
    }

    /** A task run by one racer, given its index. */
    @FunctionalInterface
    interface Task<T> {
        T run(int index) throws Exception;
    }

    static <T> List<T> together(int n, Task<T> task) throws Exception {
        return IdempotencyStoreContract.race(n, task::run);
    }
}
