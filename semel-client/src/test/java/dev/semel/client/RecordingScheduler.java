package dev.semel.client;

import dev.semel.test.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.scheduler.Scheduler;

/**
 * The reactive twin of {@link RecordingSleeper}: records each delay asked of it, moves the
 * clock by it and runs the task at once instead of later, so no test waits.
 */
final class RecordingScheduler implements Scheduler {
    private final MutableClock clock;
    private final List<Duration> delays = new CopyOnWriteArrayList<>();
    private volatile Consumer<Runnable> afterDelay = Runnable::run;

    RecordingScheduler(MutableClock clock) {
        this.clock = clock;
    }

    /** How a delayed task runs once its delay is recorded (at once, by default). */
    void afterDelay(Consumer<Runnable> runner) {
        this.afterDelay = runner;
    }

    List<Duration> delays() {
        return List.copyOf(delays);
    }

    @Override
    public Disposable schedule(Runnable task) {
        task.run();
        return Disposables.disposed();
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        Duration d = Duration.ofNanos(unit.toNanos(delay));
        delays.add(d);
        clock.advance(d);
        afterDelay.accept(task);
        return Disposables.single();
    }

    @Override
    public long now(TimeUnit unit) {
        return unit.convert(clock.millis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Worker createWorker() {
        return new Worker() {
            @Override
            public Disposable schedule(Runnable task) {
                return RecordingScheduler.this.schedule(task);
            }

            @Override
            public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
                return RecordingScheduler.this.schedule(task, delay, unit);
            }

            @Override
            public void dispose() {
            }
        };
    }
}
