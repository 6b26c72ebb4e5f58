package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.control.ControlCodec;
import org.lkmd.control.ControlServer;
import org.lkmd.control.ControlService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What runs beside event handling once the daemon is ready: the control socket, the watcher of
 * configuration and index files ({@link Reloader}), and the autoclean sweep once a minute. A
 * failure of any of them is logged and the daemon keeps handling events without it.
 */
final class Services implements AutoCloseable {
    /** The daemon's logger: its lines say "Daemon" in the journal, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Root root;
    private final SnapshotLoader loader;
    private final AutoClean autoclean;
    private volatile ControlServer control;
    private volatile Reloader reloader;
    private volatile ScheduledExecutorService cleaner;

    Services(Root root, SnapshotLoader loader, AutoClean autoclean) {
        this.root = root;
        this.loader = loader;
        this.autoclean = autoclean;
    }

    /**
     * @param service what the control socket answers
     * @param reload  the daemon's reload, for the file watcher
     */
    void start(DaemonConfig c, ControlService service, Runnable reload) {
        try {
            control = ControlServer.start(root.resolve(ControlCodec.SOCKET), service, ControlServer.Limits.defaults());
        } catch (IOException | RuntimeException | LinkageError e) {
            // the daemon's job (loading modules) goes on without its control socket
            log.error("Failed to open the control socket {}: {}; status, reload and monitor will not answer",
                    root.resolve(ControlCodec.SOCKET), e.getMessage());
        }
        if (c.reload().watch()) {
            try {
                reloader = new Reloader(root, loader.modulesDir(), loader.configFile(), loader.release(), c.reload(),
                        reload).start();
            } catch (IOException e) {
                log.warn("Failed to watch configuration files: {}, ignoring (SIGHUP and lkmd reload still work)",
                        e.getMessage());
            }
        }
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lkmd-autoclean");
            t.setDaemon(true);
            return t;
        });
        // always scheduled: [autoclean] may be enabled by a reload; a disabled sweep does nothing
        ex.scheduleWithFixedDelay(() -> {
            try {
                autoclean.sweep();
            } catch (RuntimeException e) {
                log.warn("Failed to sweep idle modules: {}, ignoring", e.toString());
            }
        }, 1, 1, TimeUnit.MINUTES);
        cleaner = ex;
    }

    @Override
    public void close() {
        if (control != null) {
            control.close();
        }
        if (reloader != null) {
            reloader.close();
        }
        if (cleaner != null) {
            cleaner.shutdownNow();
        }
    }
}
