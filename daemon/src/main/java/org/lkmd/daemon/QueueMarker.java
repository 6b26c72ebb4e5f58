package org.lkmd.daemon;

import org.lkmd.uevent.EventQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code /run/lkmd/queue}: present while events are being handed to the queue, queued or running,
 * as udev keeps {@code /run/udev/queue}; {@code lkmd settle} waits for it to disappear. Producers
 * bracket each hand-over with {@link #beforeEvent()} / {@link #admitted()}; a watcher thread
 * removes the file once nothing is in hand and the queue is idle, so no event slips between.
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
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                log.warn("Failed to create {}: {}, lkmd settle will not wait for events", path, e.getMessage());
            }
        }
    }

    synchronized void admitted() {
        inHand--;
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (present && inHand == 0) {
                    EventQueue.Stats st = queue.stats();
                    if (st.queued() + st.running() == 0) {
                        clear();
                    }
                }
            }
        }
    }

    synchronized void clear() {
        try {
            Files.deleteIfExists(path);
            present = false;
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
