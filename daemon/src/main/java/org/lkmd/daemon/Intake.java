package org.lkmd.daemon;

import org.lkmd.base.Root;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.Uevent;
import org.lkmd.uevent.UeventSink;
import org.lkmd.uevent.UeventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Events into the queue: the reader thread runs the uevent source into this sink, which hands each
 * event to the {@link EventQueue} inside the {@link QueueMarker}'s bracket and remembers the highest
 * SEQNUM taken (coldplug settles against the kernel's counter). When the kernel reports lost events
 * (ENOBUFS) it rescans sysfs on the background thread and queues every device with a modalias
 * again; overflows in a row share one pending rescan. Coldplug's scan results come in through
 * {@link #enqueue} too.
 */
final class Intake implements UeventSink, AutoCloseable {
    /** The daemon's logger: its lines say "Daemon" in the journal, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final EventQueue queue;
    private final QueueMarker marker;
    private final Coldplug coldplug;
    private final ExecutorService background;
    /** The highest SEQNUM the reader has queued (coldplug settles against the kernel's counter). */
    private final AtomicLong lastSeqnum = new AtomicLong(-1);
    private final AtomicBoolean resyncPending = new AtomicBoolean();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong resyncedDevices = new AtomicLong();
    private UeventSource source;
    private Thread reader;

    /** @param background the daemon's background thread, where rescans run */
    Intake(Root root, EventQueue queue, Coldplug coldplug, ExecutorService background) {
        this.queue = queue;
        this.marker = new QueueMarker(root.resolve("/run/lkmd/queue"), queue);
        this.coldplug = coldplug;
        this.background = background;
    }

    /** Starts the reader thread on {@code source}; a read failure logs and calls {@code onFailure}. */
    void start(UeventSource source, Runnable onFailure) {
        this.source = source;
        reader = new Thread(() -> {
            try {
                source.run(this);
            } catch (IOException e) {
                log.error("Failed to read kernel uevents: {}", e.getMessage());
                onFailure.run();
            }
        }, "lkmd-netlink");
        reader.start();
    }

    @Override
    public void accept(Uevent event) throws InterruptedException {
        enqueue(event);
    }

    @Override
    public void overflow() {
        // a storm overflows many times in a row: one rescan pending at a time covers them all
        if (resyncPending.compareAndSet(false, true)) {
            log.warn("Kernel dropped uevents (receive buffer overrun): rescanning sysfs so no device misses its driver");
            background.submit(this::resync);
        }
    }

    /** Queues one event (blocking while the queue is full), inside the queue marker's bracket. */
    void enqueue(Uevent e) throws InterruptedException {
        marker.beforeEvent();
        try {
            queue.put(e);
        } finally {
            marker.admitted();
        }
        if (e.seqnum() >= 0) {
            lastSeqnum.accumulateAndGet(e.seqnum(), Math::max);
        }
    }

    private void resync() {
        // cleared before the scan: an overflow from now on may have lost events this scan does not see
        resyncPending.set(false);
        try {
            List<Uevent> found = coldplug.scan();
            for (Uevent u : found) {
                enqueue(u);
            }
            resyncs.incrementAndGet();
            resyncedDevices.addAndGet(found.size());
            log.info("Resynchronised: {} devices with a modalias rescanned", found.size());
        } catch (IOException e) {
            log.error("Failed to rescan sysfs after lost events: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The highest SEQNUM queued so far, or -1. */
    long lastSeqnum() {
        return lastSeqnum.get();
    }

    /** Sysfs rescans done after overflows (several overflows in a row share one rescan). */
    long resyncs() {
        return resyncs.get();
    }

    /** Devices with a modalias re-queued by those rescans, in all. */
    long resyncedDevices() {
        return resyncedDevices.get();
    }

    /**
     * Stops reading, lets the queue finish what it holds (at most 10 s), closes the source and
     * removes the queue marker.
     */
    @Override
    public void close() {
        source.stop();
        try {
            reader.join(5000);
            List<Uevent> left = queue.shutdown(Duration.ofSeconds(10));
            if (!left.isEmpty()) {
                log.warn("Stopped with {} events not handled", left.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        source.close();
        marker.close();
    }
}
