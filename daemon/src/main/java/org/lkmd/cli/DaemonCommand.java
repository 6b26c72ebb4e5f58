package org.lkmd.cli;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.base.RuntimeDir;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.SimulatedKernel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code lkmd daemon}: the long-running module loader. {@code --simulate} decides and logs every
 * load without making it (a simulated kernel keeps its state in {@code /run/lkmd/simulate}) and
 * runs no RUN programs: safe on any machine, a kernel without module support included.
 */
@Command(name = "daemon", description = "Run the module-loading daemon.")
public final class DaemonCommand extends Verb {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DaemonCommand.class);
    /** Room JNA's and netty's libraries need when they unpack (about 0.3 MiB together), with a margin. */
    static final long NATIVE_LIBRARY_SPACE = 1L << 20;

    @Option(names = "--simulate", description = "Decide and log loads without making them; run no RUN programs.")
    boolean simulate;

    @Option(names = "--coldplug", paramLabel = "MODE", description = "Override the config's coldplug mode: trigger, scan or off.")
    String coldplug;

    @Option(names = "--config", paramLabel = "FILE", description = "Daemon config file, which must exist "
            + "(default: /etc/lkmd/lkmd.toml under the root, defaults when missing). An absolute FILE is under --root.")
    String config;

    @Override
    public Integer call() {
        Root root = root();
        runtimeDirForNativeLibraries(root);
        Optional<DaemonConfig.ColdplugMode> mode = Optional.empty();
        if (coldplug != null) {
            try {
                mode = Optional.of(DaemonConfig.ColdplugMode.valueOf(coldplug.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                err().println("lkmd daemon: --coldplug must be trigger, scan or off, not '" + coldplug + "'");
                return 2;
            }
        }
        String release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root);
        Kernel kernel;
        if (simulate) {
            Path state = root.resolve("/run/lkmd/simulate");
            try {
                Files.createDirectories(state);
            } catch (IOException e) {
                err().println("lkmd daemon: cannot create the simulated kernel's state directory " + state + ": "
                        + ioReason(e));
                return 1;
            }
            kernel = SimulatedKernel.on(root).release(release).stateDir(state).build();
        } else {
            kernel = kernel();
        }
        SnapshotLoader loader = new SnapshotLoader(root, release, Clock.systemUTC());
        if (config != null) {
            loader = loader.withConfigFile(config.startsWith("/") ? root.resolve(config) : Path.of(config).toAbsolutePath());
        }
        Daemon d = new Daemon(root, kernel, loader, Clock.systemUTC(), main.context().env(), simulate, mode);
        return d.run();
    }

    /**
     * Native libraries (netty's epoll, JNA) unpack to a temporary directory: at early boot /tmp may
     * be missing or read-only, so they go to the runtime directory unless told otherwise. A runtime
     * directory that cannot take them (read-only, full) is passed over for the libraries' defaults,
     * with a warning, rather than failing later with a linkage error.
     */
    static void runtimeDirForNativeLibraries(Root root) {
        if (System.getProperty("jna.tmpdir") != null && System.getProperty("io.netty.native.workdir") != null) {
            return; // chosen by the administrator (LKMD_JAVA_OPTS)
        }
        Path run = RuntimeDir.of(System.getenv(), root.resolve(RuntimeDir.DEFAULT));
        try {
            Files.createDirectories(run);
            long free = Files.getFileStore(run).getUsableSpace();
            if (!Files.isWritable(run) || free < NATIVE_LIBRARY_SPACE) {
                log.warn("Failed to use {} for native libraries: {}, using {} instead", run,
                        Files.isWritable(run) ? "only " + free + " bytes free" : "not writable",
                        System.getProperty("java.io.tmpdir"));
                return;
            }
        } catch (IOException e) {
            log.warn("Failed to use {} for native libraries: {}, using {} instead", run, ioReason(e),
                    System.getProperty("java.io.tmpdir"));
            return; // the libraries' own defaults then apply, and their errors name the problem
        }
        if (System.getProperty("io.netty.native.workdir") == null) {
            System.setProperty("io.netty.native.workdir", run.toString());
        }
        if (System.getProperty("jna.tmpdir") == null) {
            System.setProperty("jna.tmpdir", run.toString());
        }
    }

    /** The JDK names the failing path in the message or only in the exception class: give both. */
    static String ioReason(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return m != null ? m : e.getClass().getSimpleName();
    }
}
