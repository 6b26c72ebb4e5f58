package org.lkmd.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * systemd's watchdog, fed only while the daemon works: {@code WATCHDOG=1} is sent at each tick only
 * if every {@link Probe} (the netlink reader, the event queue) has made progress, or been idle with
 * nothing pending, within the stall limit. A wedged reader (data waiting on the socket, nothing taken)
 * or a wedged worker pool (events queued or running, none finished) stops the pings, and systemd
 * restarts the unit after {@code WatchdogSec}; the socket-activated netlink socket keeps the events
 * meanwhile. One event that runs long while others finish is not a wedge; every worker stuck (in a
 * module's init in the kernel, say) is. The clock is passed in (nanoseconds), so tests drive it.
 */
public final class Watchdog {
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

    /** One part of the daemon the watchdog looks at. */
    public interface Probe {
        /** For the log: "netlink reader", "event queue". */
        String name();

        /** A counter that grows with the work done (events taken, events finished). */
        long progress();

        /** True when it has nothing to do now (then no progress is expected). */
        boolean idle();
    }

    private final LongSupplier nanoTime;
    private final Duration stallLimit;
    private final List<Probe> probes;
    private final Consumer<String> notify;
    private final long[] lastProgress;
    private final long[] lastMoved;
    private final boolean[] reported;

    /**
     * @param stallLimit how long a probe may show work pending and no progress before pings stop
     * @param notify     sends a notification to systemd ({@code SdNotify::send})
     */
    public Watchdog(LongSupplier nanoTime, Duration stallLimit, List<Probe> probes, Consumer<String> notify) {
        this.nanoTime = Objects.requireNonNull(nanoTime);
        this.stallLimit = stallLimit;
        this.probes = List.copyOf(probes);
        this.notify = notify;
        this.lastProgress = new long[this.probes.size()];
        this.lastMoved = new long[this.probes.size()];
        this.reported = new boolean[this.probes.size()];
        long now = nanoTime.getAsLong();
        for (int i = 0; i < this.probes.size(); i++) {
            lastProgress[i] = this.probes.get(i).progress();
            lastMoved[i] = now;
        }
    }

    /** Looks at every probe once; sends {@code WATCHDOG=1} and returns true when all are well. */
    public synchronized boolean tick() {
        long now = nanoTime.getAsLong();
        boolean well = true;
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            long progress = p.progress();
            if (progress != lastProgress[i] || p.idle()) {
                lastProgress[i] = progress;
                lastMoved[i] = now;
                if (reported[i]) {
                    log.warn("The {} makes progress again: pinging systemd again", p.name());
                    reported[i] = false;
                }
                continue;
            }
            long stalled = now - lastMoved[i];
            if (stalled >= stallLimit.toNanos()) {
                well = false;
                if (!reported[i]) {
                    log.error("The {} has had work pending and made no progress for {} s: "
                            + "no longer telling systemd we are alive (it restarts the unit after WatchdogSec)",
                            p.name(), Duration.ofNanos(stalled).toSeconds());
                    reported[i] = true;
                }
            }
        }
        if (well) {
            notify.accept("WATCHDOG=1");
        }
        return well;
    }

    /** Ticks every {@code every} on a daemon thread, {@code lkmd-watchdog}, until interrupted. */
    public Thread start(Duration every) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    log.warn("Failed to look at the daemon: {}, not pinging this time", e.toString());
                }
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lkmd-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
