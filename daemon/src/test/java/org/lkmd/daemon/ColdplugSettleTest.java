package org.lkmd.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ColdplugSettleTest {
    /** A queue that is idle unless told otherwise. */
    static final class FakeQueue implements ColdplugSettle.Queue {
        final AtomicBoolean busy = new AtomicBoolean();

        @Override
        public boolean awaitIdle(Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (busy.get()) {
                if (System.nanoTime() >= end) {
                    return false;
                }
                Thread.sleep(1);
            }
            return true;
        }

        @Override
        public boolean idle() {
            return !busy.get();
        }
    }

    final AtomicLong kernel = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final FakeQueue queue = new FakeQueue();

    ColdplugSettle settle(Duration stall) {
        return new ColdplugSettle(kernel::get, received::get, queue, stall, Duration.ofMillis(2), -1);
    }

    @Test
    void aScanDoesNotWaitForTheBootsEventsFromBeforeTheSocket() throws Exception {
        // the counter shows the boot's 4000 events; the reader, listening since, got none of them
        kernel.set(4000);
        received.set(-1);
        long t0 = System.nanoTime();
        ColdplugSettle scan = new ColdplugSettle(kernel::get, received::get, queue, Duration.ofSeconds(5),
                Duration.ofMillis(2), 4000);
        assertEquals(ColdplugSettle.Result.SETTLED, scan.await(Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos(), "no 5 s stall");
        // but an event numbered after the scan began (a load made a device) is waited for
        kernel.set(4001);
        Thread reader = new Thread(() -> {
            try {
                Thread.sleep(200);
                received.set(4001);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        reader.start();
        assertEquals(ColdplugSettle.Result.SETTLED, scan.await(Duration.ofSeconds(10)));
        assertEquals(4001, received.get());
        reader.join();
    }

    @Test
    void caughtUpAndIdleIsSettledAtOnce() throws Exception {
        kernel.set(40);
        received.set(40);
        long t0 = System.nanoTime();
        assertEquals(ColdplugSettle.Result.SETTLED, settle(Duration.ofSeconds(5)).await(Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(4).toNanos());
    }

    @Test
    void anIdleQueueIsNotEnoughWhileTheReaderLagsTheKernel() throws Exception {
        // the bug this class fixes: the queue is idle, but events 31..40 are still in the socket
        kernel.set(40);
        received.set(30);
        Thread reader = new Thread(() -> {
            try {
                for (long s = 31; s <= 40; s++) {
                    Thread.sleep(30); // slower than any "quiet for a moment" guess
                    received.set(s);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        reader.start();
        assertEquals(ColdplugSettle.Result.SETTLED, settle(Duration.ofSeconds(5)).await(Duration.ofSeconds(10)));
        assertEquals(40, received.get());
        reader.join();
    }

    @Test
    void eventsCausedByLoadsStartAnotherRound() throws Exception {
        kernel.set(10);
        received.set(10);
        queue.busy.set(true);
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(50);
                kernel.set(12);     // a driver created two devices while the last event ran
                queue.busy.set(false);
                Thread.sleep(50);
                queue.busy.set(true);
                received.set(12);
                Thread.sleep(20);
                queue.busy.set(false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        assertEquals(ColdplugSettle.Result.SETTLED, settle(Duration.ofSeconds(5)).await(Duration.ofSeconds(10)));
        assertEquals(12, received.get());
        assertTrue(queue.idle());
        t.join();
    }

    @Test
    void numbersThatNeverArriveStallThenSettle() throws Exception {
        kernel.set(50);     // e.g. uevents of a device in another network namespace
        received.set(48);
        long t0 = System.nanoTime();
        assertEquals(ColdplugSettle.Result.STALLED, settle(Duration.ofMillis(200)).await(Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(200).toNanos());
    }

    @Test
    void withoutTheKernelCounterQuietDecides() throws Exception {
        kernel.set(-1);
        received.set(-1);
        assertEquals(ColdplugSettle.Result.STALLED, settle(Duration.ofMillis(100)).await(Duration.ofSeconds(10)));
    }

    @Test
    void aQueueThatNeverDrainsTimesOut() throws Exception {
        kernel.set(5);
        received.set(5);
        queue.busy.set(true);
        assertEquals(ColdplugSettle.Result.TIMED_OUT, settle(Duration.ofSeconds(5)).await(Duration.ofMillis(200)));
    }

    @Test
    void readsTheKernelCounterFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("uevent_seqnum");
        assertEquals(-1, ColdplugSettle.seqnumFile(f).getAsLong());
        Files.writeString(f, "4711\n");
        assertEquals(4711, ColdplugSettle.seqnumFile(f).getAsLong());
        Files.writeString(f, "garbage\n");
        assertEquals(-1, ColdplugSettle.seqnumFile(f).getAsLong());
    }
}
