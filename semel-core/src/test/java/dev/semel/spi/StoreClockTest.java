package dev.semel.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The store's clock as stores see it: read once, carried forward on the monotonic clock, read
 * again after the refresh interval, and kept when a later reading fails. Bounds come from
 * {@link System#nanoTime()} taken around each call, never from an expected duration.
 */
class StoreClockTest {
    private static final Instant SERVER = Instant.parse("2001-02-03T04:05:06Z");

    private final AtomicInteger reads = new AtomicInteger();

    private StoreClock clock(Duration refresh, boolean failAfterFirst) {
        return new StoreClock(() -> {
            if (reads.incrementAndGet() > 1 && failAfterFirst) {
                throw new IOException("server gone");
            }
            return SERVER;
        }, refresh);
    }

    @Test
    void theFirstReadingIsCarriedForwardUntilTheRefreshInterval() {
        StoreClock clock = clock(Duration.ofHours(1), false);
        long before = System.nanoTime();
        Instant first = clock.now(true);
        Instant second = clock.now(true);
        Instant third = clock.now(false);
        long elapsed = System.nanoTime() - before;
        assertThat(reads).hasValue(1);
        assertThat(first).isBetween(SERVER, SERVER.plusNanos(elapsed));
        assertThat(second).isBetween(first, SERVER.plusNanos(elapsed));
        assertThat(third).isBetween(second, SERVER.plusNanos(elapsed));
    }

    @Test
    void anOldReadingIsReadAgainOnlyWhenReadingIsAllowed() throws Exception {
        // the server's clock jumps a day after the first reading: only a new reading shows it
        Instant tomorrow = SERVER.plus(Duration.ofDays(1));
        StoreClock clock = new StoreClock(() -> reads.incrementAndGet() == 1 ? SERVER : tomorrow, Duration.ofNanos(1));
        clock.now(true);
        Thread.sleep(1);
        Instant carried = clock.now(false);
        assertThat(reads).hasValue(1);
        assertThat(carried).isAfter(SERVER).isBefore(tomorrow);
        assertThat(clock.now(true)).isAfterOrEqualTo(tomorrow);
        assertThat(reads).hasValue(2);
    }

    @Test
    void aFailedReadingKeepsThePreviousOne() throws Exception {
        StoreClock clock = clock(Duration.ofNanos(1), true);
        Instant first = clock.now(true);
        Thread.sleep(1);
        Instant later = clock.now(true);
        assertThat(reads).hasValue(2);
        assertThat(later).isAfter(first);
    }

    @Test
    void aServerNeverReadCannotGiveTheTime() {
        StoreClock clock = new StoreClock(() -> {
            throw new IOException("server gone");
        }, StoreClock.DEFAULT_REFRESH);
        assertThatThrownBy(() -> clock.now(false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("server gone");
    }

    @Test
    void theRefreshIntervalMustBePositive() {
        assertThatThrownBy(() -> new StoreClock(() -> SERVER, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StoreClock(() -> SERVER, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void callerTimesKeepTheirDistanceFromNowOnTheStoreClock() {
        Instant callerNow = Instant.parse("2030-01-01T00:00:00Z");
        assertThat(StoreClock.onStoreClock(callerNow.plusSeconds(30), callerNow, SERVER))
                .isEqualTo(SERVER.plusSeconds(30));
        assertThat(StoreClock.onStoreClock(callerNow.minusSeconds(5), callerNow, SERVER))
                .isEqualTo(SERVER.minusSeconds(5));

        ClaimRequest claim = new ClaimRequest("id", "k", "alice op", new byte[32], "owner", 7,
                callerNow.plusSeconds(30), callerNow.plusSeconds(3600), callerNow);
        ClaimRequest moved = StoreClock.onStoreClock(claim, SERVER);
        assertThat(moved.leaseDeadline()).isEqualTo(SERVER.plusSeconds(30));
        assertThat(moved.expiresAt()).isEqualTo(SERVER.plusSeconds(3600));
        assertThat(moved.now()).isEqualTo(SERVER);
        assertThat(moved.recordId()).isEqualTo("id");
        assertThat(moved.freshToken()).isEqualTo(7);

        RecordQuery unbounded = RecordQuery.all();
        assertThat(StoreClock.onStoreClock(unbounded, callerNow, SERVER)).isSameAs(unbounded);
        RecordQuery after = RecordQuery.all().withCreated(callerNow.minusSeconds(60), null);
        assertThat(StoreClock.onStoreClock(after, callerNow, SERVER))
                .isEqualTo(RecordQuery.all().withCreated(SERVER.minusSeconds(60), null));
        RecordQuery before = RecordQuery.all().withCreated(null, callerNow.minusSeconds(10));
        assertThat(StoreClock.onStoreClock(before, callerNow, SERVER))
                .isEqualTo(RecordQuery.all().withCreated(null, SERVER.minusSeconds(10)));
    }
}
