package org.lkmd.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The daemon's life as systemd and the signals see it: {@code STATUS=} lines while starting,
 * {@code READY=1} once coldplug settled, {@code RELOADING=1} around a reload, {@code WATCHDOG=1}
 * keep-alives, {@code STOPPING=1}; SIGHUP reloads (on the background thread), SIGTERM and SIGINT
 * stop. {@link #stop()} and {@link #awaitReady} may be called from any thread at any time.
 */
final class Lifecycle implements AutoCloseable {
    /** The daemon's logger: its lines say "Daemon" in the journal, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Map<String, String> env;
    private final Supplier<String> status;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile SdNotify notify;
    private volatile Thread watchdog;

    /** @param status the one-line {@code STATUS=} text of a running daemon (events handled, in queue) */
    Lifecycle(Map<String, String> env, Supplier<String> status) {
        this.env = env;
        this.status = status;
    }

    /** Connects to {@code $NOTIFY_SOCKET}, when systemd gave one. */
    void open() {
        notify = SdNotify.fromEnvironment(env);
    }

    /** SIGHUP runs {@code reload} on {@code background}; SIGTERM and SIGINT stop. */
    void installSignals(ExecutorService background, Runnable reload) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> background.submit(reload));
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> stop());
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> stop());
        } catch (IllegalArgumentException e) {
            log.warn("Failed to install signal handlers: {}, ignoring", e.getMessage());
        }
    }

    /** A {@code STATUS=} line while starting. */
    void starting(String what) {
        notify.send("STATUS=" + what);
    }

    /** Tells systemd {@code READY=1} and releases {@link #awaitReady}. */
    void ready() {
        notify.send("READY=1\nSTATUS=" + status.get());
        log.debug("Told systemd READY=1");
        ready.countDown();
    }

    /** Runs one reload between {@code RELOADING=1} and {@code READY=1}; one at a time. */
    synchronized boolean reload(BooleanSupplier reload) {
        notify.send("RELOADING=1\nSTATUS=Reloading");
        try {
            return reload.getAsBoolean();
        } finally {
            notify.send("READY=1\nSTATUS=" + status.get());
        }
    }

    /**
     * {@code WATCHDOG=1} at half systemd's interval, when systemd asked for keep-alives, only while
     * each of {@code probes} makes progress or is idle ({@link Watchdog}); a stall longer than the
     * ping interval stops the pings.
     */
    void startWatchdog(List<Watchdog.Probe> probes) {
        Optional<Duration> every = notify.watchdog();
        if (every.isEmpty()) {
            return;
        }
        watchdog = new Watchdog(System::nanoTime, every.get(), probes, notify::send).start(every.get());
    }

    /** Ends the keep-alives; before the source closes, as the watchdog polls its socket. */
    void stopWatchdog() {
        Thread t = watchdog;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Blocks until {@link #stop()}, then tells systemd {@code STOPPING=1}. */
    void awaitStop() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        notify.send("STOPPING=1\nSTATUS=Stopping");
        log.info("Stopping");
    }

    void stop() {
        stopped.countDown();
    }

    boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends the keep-alives and the notify socket. */
    @Override
    public void close() {
        stopWatchdog();
        notify.close();
    }
}
