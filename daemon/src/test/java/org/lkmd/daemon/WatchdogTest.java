package org.lkmd.daemon;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watchdog over fake probes and a fake clock: pings follow progress, not time. */
class WatchdogTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> sent = new ArrayList<>();

    /** A probe the test moves: a progress counter and an idle flag. */
    static final class Fake implements Watchdog.Probe {
        final String name;
        final AtomicLong progress = new AtomicLong();
        final AtomicBoolean idle = new AtomicBoolean(true);

        Fake(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long progress() {
            return progress.get();
        }

        @Override
        public boolean idle() {
            return idle.get();
        }
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private Watchdog watchdog(Fake... probes) {
        return new Watchdog(now::get, Duration.ofSeconds(90), List.of(probes), sent::add);
    }

    @Test
    void idleForeverKeepsPinging() {
        Fake reader = new Fake("netlink reader");
        Fake queue = new Fake("event queue");
        Watchdog w = watchdog(reader, queue);
        for (int i = 0; i < 100; i++) {
            advance(Duration.ofSeconds(90));
            assertTrue(w.tick());
        }
        assertEquals(100, sent.size());
        assertTrue(sent.stream().allMatch("WATCHDOG=1"::equals));
    }

    @Test
    void aWedgedWorkerPoolStopsThePingsUntilAnEventFinishes() {
        Fake reader = new Fake("netlink reader");
        Fake queue = new Fake("event queue");
        Watchdog w = watchdog(reader, queue);
        queue.idle.set(false); // events queued and running
        advance(Duration.ofSeconds(30));
        queue.progress.incrementAndGet(); // one finished
        assertTrue(w.tick());
        // then every worker stuck: nothing finishes while events wait
        advance(Duration.ofSeconds(89));
        assertTrue(w.tick(), "within the stall limit");
        advance(Duration.ofSeconds(1));
        assertFalse(w.tick());
        advance(Duration.ofSeconds(90));
        assertFalse(w.tick());
        assertEquals(2, sent.size());
        queue.progress.incrementAndGet();
        assertTrue(w.tick(), "progress again");
        assertEquals(3, sent.size());
    }

    @Test
    void aLongEventWhileOthersFinishIsNoWedge() {
        Fake reader = new Fake("netlink reader");
        Fake queue = new Fake("event queue");
        Watchdog w = watchdog(reader, queue);
        queue.idle.set(false);
        for (int i = 0; i < 20; i++) {
            advance(Duration.ofSeconds(60));
            queue.progress.incrementAndGet();
            assertTrue(w.tick());
        }
    }

    @Test
    void aWedgedReaderStopsThePingsWhileTheQueueIsIdle() {
        Fake reader = new Fake("netlink reader");
        Fake queue = new Fake("event queue");
        Watchdog w = watchdog(reader, queue);
        reader.idle.set(false); // data waiting on the socket
        reader.progress.incrementAndGet();
        advance(Duration.ofSeconds(45));
        assertTrue(w.tick());
        advance(Duration.ofSeconds(100)); // nothing taken since
        assertFalse(w.tick());
        reader.idle.set(true); // the socket drained (by whom does not matter): nothing pending
        assertTrue(w.tick());
    }

    @Test
    void aStallBeforeTheFirstTickCountsFromConstruction() {
        Fake queue = new Fake("event queue");
        queue.idle.set(false);
        Watchdog w = watchdog(queue);
        advance(Duration.ofSeconds(91));
        assertFalse(w.tick());
        assertEquals(List.of(), sent);
    }
}
