package org.lkmd.daemon;

import org.lkmd.uevent.EventQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code /run/lkmd/queue}: present while events are being handed to the queue, queued or running,
 * as udev keeps {@code /run/udev/queue}; {@code lkmd settle} waits for it to disappear. Producers
 * bracket each hand-over with {@link #beforeEvent()} / {@link #admitted()}; a watcher thread
 * removes the file once nothing is in hand and the queue is idle, so no event slips between. The
 * watcher blocks while there is nothing to do (no marker, or an event in hand) and while the queue
 * is busy: an idle daemon has no timer waking it.
 */
final class QueueMarker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QueueMarker.class);
    private final Path path;
    private final EventQueue queue;
    private final Thread watcher;
    private int inHand;
    private boolean present;
    private boolean warned;

    QueueMarker(Path path, EventQueue queue) {
        this.path = path;
        this.queue = queue;
        // a daemon killed with events in hand leaves its marker: nothing is queued in this one yet
        try {
            if (Files.deleteIfExists(path)) {
                log.info("Removed {} left by a previous run", path);
            }
        } catch (IOException e) {
            log.warn("Failed to remove {} left by a previous run: {}, ignoring", path, e.getMessage());
        }
        this.watcher = new Thread(this::watch, "lkmd-queue-marker");
        watcher.setDaemon(true);
        watcher.start();
    }

    synchronized void beforeEvent() {
        inHand++;
        if (present) {
            return;
        }
        try {
            Files.createDirectories(path.getParent());
            Files.writeString(path, "");
            present = true;
            notifyAll();
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                log.warn("Failed to create {}: {}, lkmd settle will not wait for events", path, e.getMessage());
            }
        }
    }

    synchronized void admitted() {
        inHand--;
        if (inHand == 0) {
            notifyAll();
        }
    }

    private void watch() {
        try {
            while (true) {
                synchronized (this) {
                    while (!present || inHand > 0) {
                        wait();
                    }
                }
                // the queue has the events now: wait for it to drain (a long event wakes this once a second)
                if (!queue.awaitIdle(Duration.ofSeconds(1))) {
                    continue;
                }
                synchronized (this) {
                    EventQueue.Stats st = queue.stats();
                    if (present && inHand == 0 && st.queued() + st.running() == 0) {
                        clear();
                    }
                }
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    synchronized void clear() {
        // false even when the removal fails: the watcher then sleeps until the next event tries again
        present = false;
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("Failed to remove {}: {}, ignoring", path, e.getMessage());
        }
    }

    @Override
    public void close() {
        watcher.interrupt();
        clear();
    }
}
