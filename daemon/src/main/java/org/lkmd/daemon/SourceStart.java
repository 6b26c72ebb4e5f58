package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.NetlinkUeventSource;
import org.lkmd.uevent.Uevent;
import org.lkmd.uevent.UeventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The start-up work that needs no {@link Snapshot}, done on its own thread while the first snapshot
 * is built: open the uevent source (the netlink socket, whose first use loads JNA's native
 * library), then the coldplug step that asks nothing of the rules: in trigger mode write the
 * {@code uevent} files, in scan mode read the events they would have caused from sysfs. Two stages: the daemon {@linkplain #awaitSource()
 * takes the socket} as soon as it is open and starts reading and handling events while the
 * trigger writes go on (the kernel's answers are handled as they come, not after the last write;
 * an overrun is an overflow like any other, answered by a rescan); it {@linkplain #await() waits}
 * for the coldplug step only to settle it.
 */
final class SourceStart {
    private static final Logger log = LoggerFactory.getLogger(SourceStart.class);

    /**
     * What the start-up thread did.
     *
     * @param source    the open source; null when opening failed
     * @param activated the netlink socket came from systemd
     * @param failure   why the source could not be opened: an {@link IOException} or a
     *                  {@link LinkageError} (JNA's native library); null when it opened
     * @param triggered trigger mode: the files written and the failures
     * @param scanned   scan mode: the devices found (events to queue)
     * @param scanError scan mode: why sysfs could not be scanned
     */
    record Result(UeventSource source, boolean activated, Throwable failure,
                  Optional<Coldplug.TriggerReport> triggered, List<Uevent> scanned, IOException scanError) {
    }

    private final FutureTask<Result> task;
    /** Completed once the source is open (or failed to open), before the coldplug step. */
    private final CompletableFuture<Result> opened;
    private final boolean ownSource;

    private SourceStart(FutureTask<Result> task, CompletableFuture<Result> opened, boolean ownSource) {
        this.task = task;
        this.opened = opened;
        this.ownSource = ownSource;
    }

    /**
     * Starts opening {@code given} (a test's source) or the kernel's netlink socket (adopted from
     * systemd when {@code env} passes one), then coldplugging in {@code mode}.
     */
    static SourceStart begin(UeventSource given, Map<String, String> env, DaemonConfig config,
                             Coldplug coldplug, DaemonConfig.ColdplugMode mode) {
        CompletableFuture<Result> opened = new CompletableFuture<>();
        FutureTask<Result> task = new FutureTask<>(() -> {
            try {
                return run(given, env, config, coldplug, mode, opened);
            } catch (RuntimeException | Error e) {
                opened.complete(new Result(null, false, e, Optional.empty(), List.of(), null));
                throw e;
            }
        });
        Thread t = new Thread(task, "lkmd-start");
        t.setDaemon(true);
        t.start();
        return new SourceStart(task, opened, given == null);
    }

    private static Result run(UeventSource given, Map<String, String> env, DaemonConfig config,
                              Coldplug coldplug, DaemonConfig.ColdplugMode mode, CompletableFuture<Result> opened) {
        UeventSource source = given;
        boolean activated = false;
        if (source != null) {
            log.info("Listening for uevents from {}", source.getClass().getSimpleName());
        } else {
            try {
                NetlinkUeventSource.Options opts =
                        NetlinkUeventSource.Options.DEFAULTS.withReceiveBuffer(config.receiveBuffer());
                Optional<NetlinkUeventSource> fromSystemd = NetlinkUeventSource.fromSocketActivation(env, opts);
                activated = fromSystemd.isPresent();
                NetlinkUeventSource nl = activated ? fromSystemd.get() : NetlinkUeventSource.open(opts);
                source = nl;
                log.info("Listening for kernel uevents ({}, receive buffer {} bytes)",
                        activated ? "socket from systemd" : "own socket", nl.receiveBufferSize());
            } catch (IOException | LinkageError e) {
                Result failed = new Result(null, false, e, Optional.empty(), List.of(), null);
                opened.complete(failed);
                return failed;
            }
        }
        opened.complete(new Result(source, activated, null, Optional.empty(), List.of(), null));
        return switch (mode) {
            case TRIGGER -> {
                long t0 = System.nanoTime();
                Coldplug.TriggerReport r = coldplug.trigger("add", Optional.of(UUID.randomUUID()));
                log.debug("Coldplug: wrote {} uevent files in {} ms", r.written().size(),
                        (System.nanoTime() - t0) / 1_000_000);
                yield new Result(source, activated, null, Optional.of(r), List.of(), null);
            }
            case SCAN -> {
                long t0 = System.nanoTime();
                List<Uevent> found = coldplug.scanAdd();
                log.debug("Coldplug: read {} subsystems and devices from sysfs in {} ms", found.size(),
                        (System.nanoTime() - t0) / 1_000_000);
                yield new Result(source, activated, null, Optional.empty(), found, null);
            }
            case OFF -> new Result(source, activated, null, Optional.empty(), List.of(), null);
        };
    }

    /**
     * Waits until the source is open (or failed to open) and returns that much: its
     * {@code triggered} and {@code scanned} are not filled in yet ({@link #await()} has them).
     */
    Result awaitSource() throws InterruptedException {
        try {
            return opened.get();
        } catch (ExecutionException e) {
            return new Result(null, false, e.getCause(), Optional.empty(), List.of(), null);
        }
    }

    /** Waits for the start-up thread (the source and the coldplug step) and returns what it did. */
    Result await() throws InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            // nothing but a bug gets here: report it as the source's failure
            return new Result(null, false, e.getCause(), Optional.empty(), List.of(), null);
        }
    }

    /** Waits for the start-up thread and closes the socket it opened (the daemon is not starting after all). */
    void abandon() {
        try {
            Result r = await();
            if (ownSource && r.source() != null) {
                r.source().close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
