package org.lkmd.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lkmd.testing.Await.waitFor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.Uevent;

class QueueMarkerTest {
    @TempDir
    Path tmp;

    private static Uevent ev(long seq) {
        String devpath = "/devices/x" + seq;
        return new Uevent("add", devpath, seq, Map.of("ACTION", "add", "DEVPATH", devpath, "SEQNUM", Long.toString(seq)));
    }

    @Test
    void markerLivesWhileEventsAreInHandOrQueuedAndTheIdleWatcherHasNoTimer() throws Exception {
        Path marker = tmp.resolve("run/lkmd/queue");
        CountDownLatch gate = new CountDownLatch(1);
        try (EventQueue q = new EventQueue(1, 10, Duration.ofMinutes(1), e -> {
            try {
                gate.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }); QueueMarker m = new QueueMarker(marker, q)) {
            assertTrue(waitFor(() -> watcherState() == Thread.State.WAITING, Duration.ofSeconds(10)), "watcher not blocked before any event");
            m.beforeEvent();
            assertTrue(Files.exists(marker));
            q.put(ev(1));
            m.admitted();
            Thread.sleep(100);
            assertTrue(Files.exists(marker), "removed while an event still runs");
            gate.countDown();
            assertTrue(waitFor(() -> !Files.exists(marker), Duration.ofSeconds(10)), "marker left after the queue drained");
            // idle: the watcher waits without a timeout (no periodic wake-up)
            assertTrue(waitFor(() -> watcherState() == Thread.State.WAITING, Duration.ofSeconds(10)), "watcher state " + watcherState());
            m.beforeEvent();
            assertTrue(Files.exists(marker), "marker made again for the next event");
            m.admitted();
            assertTrue(waitFor(() -> !Files.exists(marker), Duration.ofSeconds(10)));
        }
        assertTrue(waitFor(() -> watcherState() == null || watcherState() == Thread.State.TERMINATED, Duration.ofSeconds(10)),
                "watcher still running after close");
    }

    private static Thread.State watcherState() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("lkmd-queue-marker")) {
                return t.getState();
            }
        }
        return null;
    }
}
