package dev.semel.client;

import dev.semel.test.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records each wait and moves the clock by it instead of sleeping. */
final class RecordingSleeper implements Sleeper {
    private final MutableClock clock;
    private final List<Duration> delays = new CopyOnWriteArrayList<>();

    RecordingSleeper(MutableClock clock) {
        this.clock = clock;
    }

    @Override
    public void sleep(Duration delay) {
        delays.add(delay);
        clock.advance(delay);
    }

    List<Duration> delays() {
        return List.copyOf(delays);
    }
}
