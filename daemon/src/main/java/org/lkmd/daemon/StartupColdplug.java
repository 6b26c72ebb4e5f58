package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.Uevent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Settles the coldplug that {@link SourceStart} began, before the daemon says READY: in trigger
 * mode, until every event the kernel has numbered so far was read and handled (see
 * {@link ColdplugSettle}); in scan mode, the scanned devices queued and handled, then the events
 * their loads caused settled likewise. Waits at most 120 s per stage; never fails the start.
 */
final class StartupColdplug {
    /** The daemon's logger: its lines say "Daemon" in the journal, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final Duration MAX_WAIT = Duration.ofSeconds(120);

    private final Root root;
    private final Intake intake;
    private final EventQueue queue;

    StartupColdplug(Root root, Intake intake, EventQueue queue) {
        this.root = root;
        this.intake = intake;
        this.queue = queue;
    }

    /** Settles the coldplug step's events in {@code mode}; {@code opened} is what the step did. */
    void settle(SourceStart.Result opened, DaemonConfig.ColdplugMode mode) {
        if (opened.failure() != null) {
            // only a bug gets here (the source was open): say so, and go on serving hotplug
            log.error("Failed to coldplug: {}", opened.failure().toString());
            return;
        }
        try {
            switch (mode) {
                case TRIGGER -> {
                    Coldplug.TriggerReport r = opened.triggered().orElseThrow();
                    r.failed().forEach((p, why) -> log.warn("Failed to trigger {}: {}, ignoring", p, why));
                    // the kernel answers each write with an event: settle once every event the kernel
                    // has numbered so far was read and handled (see ColdplugSettle)
                    ColdplugSettle.Result settled = settler(-1).await(MAX_WAIT);
                    log.info("Coldplug: triggered {} devices ({})", r.written().size(), switch (settled) {
                        case SETTLED -> "all their events handled";
                        case STALLED -> "events handled; some kernel event numbers never reached us";
                        case TIMED_OUT -> "gave up waiting for their events after 120 s";
                    });
                }
                case SCAN -> {
                    if (opened.scanError() != null) {
                        throw opened.scanError();
                    }
                    List<Uevent> found = opened.scanned();
                    // the boot's events before the socket opened never reach the reader: not waited for
                    long announcedBefore = seqnumCounter().getAsLong();
                    for (Uevent u : found) {
                        intake.enqueue(u);
                    }
                    queue.awaitIdle(MAX_WAIT);
                    // loads made meanwhile announce new devices (and modules) as kernel events: settle those too
                    settler(announcedBefore).await(MAX_WAIT);
                    log.info("Coldplug: scanned {} subsystems and devices ({} with a modalias), no uevent written",
                            found.size(), found.stream().filter(u -> u.modalias() != null).count());
                }
                case OFF -> log.info("Coldplug: off");
            }
        } catch (IOException e) {
            log.error("Failed to coldplug: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private LongSupplier seqnumCounter() {
        return ColdplugSettle.seqnumFile(root.resolve("/sys/kernel/uevent_seqnum"));
    }

    private ColdplugSettle settler(long announcedBefore) {
        LongSupplier counter = seqnumCounter();
        // without the kernel's counter (a fake root) only quiet can tell; with it, quiet is the rare fallback
        Duration stall = counter.getAsLong() >= 0 ? Duration.ofSeconds(5) : Duration.ofMillis(300);
        return new ColdplugSettle(counter, intake::lastSeqnum, new ColdplugSettle.Queue() {
            @Override
            public boolean awaitIdle(Duration timeout) throws InterruptedException {
                return queue.awaitIdle(timeout);
            }

            @Override
            public boolean idle() {
                EventQueue.Stats st = queue.stats();
                return st.queued() + st.running() == 0;
            }
        }, stall, Duration.ofMillis(10), announcedBefore);
    }
}
