package org.lkmd.cli;

import org.lkmd.base.ModuleNames;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.kernel.ModuleState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * {@code rmmod [-f] [-w] [-s] [-v] NAME...}: removes modules by name (or by the path of their
 * file), with kmod's in-use checks, messages and exit code (0, or 1 if any module failed).
 * {@code -w} waits, polling with backoff, until the module is unused instead of failing.
 * {@code -s} sends the messages to the kernel log instead of stderr.
 */
@Command(name = "rmmod", description = "Remove modules from the Linux kernel.")
public final class Rmmod extends Verb {
    @Option(names = {"-f", "--force"}, description = "Force removal even if in use (needs CONFIG_MODULE_FORCE_UNLOAD). DANGEROUS.")
    boolean force;

    @Option(names = {"-w", "--wait"}, description = "Wait until the module is unused, then remove it.")
    boolean waitUnused;

    @Option(names = {"-s", "--syslog"}, description = "Print messages to the kernel log, not stderr.")
    boolean syslog;

    @Option(names = {"-v", "--verbose"}, description = "Print each removal.")
    boolean[] verbose = new boolean[0];

    @Parameters(paramLabel = "NAME", arity = "0..*")
    List<String> names = List.of();

    /** Poll interval bounds for {@code -w}. */
    static final long WAIT_FIRST_MS = 10;
    static final long WAIT_MAX_MS = 1000;

    @Override
    public Integer call() {
        if (names.isEmpty()) {
            error("missing module name.");
            return 1;
        }
        Kernel kernel = kernel();
        int failures = 0;
        for (String arg : names) {
            String name = moduleName(arg);
            if (!force && !checkUnused(kernel, name)) {
                failures++;
                continue;
            }
            try {
                delete(kernel, name);
                if (verbose.length > 0) {
                    out().println("rmmod " + name);
                }
            } catch (KernelException e) {
                error("could not remove module " + arg + ": " + e.errno().text());
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private void delete(Kernel kernel, String name) throws KernelException {
        int flags = Kernel.O_NONBLOCK | (force ? Kernel.O_TRUNC : 0);
        long sleep = WAIT_FIRST_MS;
        while (true) {
            try {
                kernel.deleteModule(name, flags);
                return;
            } catch (KernelException e) {
                if (!waitUnused || (e.errno() != Errno.EAGAIN && e.errno() != Errno.EBUSY)) {
                    throw e;
                }
            }
            sleep = pause(sleep);
        }
    }

    /** kmod's checks before removal; with -w, in-use is waited out rather than reported. */
    private boolean checkUnused(Kernel kernel, String name) {
        long sleep = WAIT_FIRST_MS;
        while (true) {
            ModuleState st = kernel.state(name);
            if (st == ModuleState.BUILTIN) {
                error("Module " + name + " is builtin.");
                return false;
            }
            if (st == ModuleState.ABSENT) {
                error("Module " + name + " is not currently loaded");
                return false;
            }
            List<String> holders = kernel.holders(name);
            int ref = kernel.refcount(name);
            if (holders.isEmpty() && ref <= 0) {
                return true;
            }
            if (!waitUnused) {
                if (!holders.isEmpty()) {
                    error("Module " + name + " is in use by: " + String.join(" ", holders));
                } else {
                    error("Module " + name + " is in use");
                }
                return false;
            }
            sleep = pause(sleep);
        }
    }

    private static long pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a module to become unused");
        }
        return Math.min(ms * 2, WAIT_MAX_MS);
    }

    /** A path names a module by its file (foo-bar.ko.xz → foo_bar); anything else is a name. */
    static String moduleName(String arg) {
        return arg.contains("/") || Files.isRegularFile(Path.of(arg)) ? ModuleNames.fromPath(arg)
                : ModuleNames.normalizeName(arg);
    }

    private void error(String msg) {
        String line = "rmmod: ERROR: " + msg;
        if (syslog && toKernelLog(line)) {
            return;
        }
        err().println(line);
    }

    /** Writes one line at priority err to {@code /dev/kmsg}; false when that is not possible. */
    private boolean toKernelLog(String line) {
        Path kmsg = root().resolve("/dev/kmsg");
        try (OutputStream o = Files.newOutputStream(kmsg, StandardOpenOption.WRITE)) {
            o.write(("<3>" + line + "\n").getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
