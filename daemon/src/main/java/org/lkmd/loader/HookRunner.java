package org.lkmd.loader;

import org.lkmd.kernel.Errno;
import org.lkmd.process.ChildProcess;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs modprobe.d {@code install}/{@code remove} commands as kmod does ({@code /bin/sh -c CMD} with
 * {@code MODPROBE_MODULE} set, output inherited), bounded by a time limit: a command past it is
 * killed together with every process it started ({@link ChildProcess}'s policy).
 */
final class HookRunner {
    private final Duration timeout;
    private final String shell;
    private final HookIo io;

    HookRunner(Duration timeout, String shell) {
        this(timeout, shell, HookIo.INHERIT);
    }

    HookRunner(Duration timeout, String shell, HookIo io) {
        this.timeout = timeout;
        this.shell = shell;
        this.io = io;
    }

    /** How a command ended: errno null and exit 0 on success; kmod's wording in {@code message} otherwise. */
    record Result(Errno errno, int exitStatus, String message) {
        boolean ok() {
            return errno == null;
        }
    }

    /** @param kind "install" or "remove", as kmod names the command in its messages */
    Result run(String kind, String module, String command) {
        String what = "Error running " + kind + " command '" + command + "' for module " + module + ": ";
        ChildProcess child = ChildProcess.of(List.of(shell, "-c", command))
                .withAddedEnvironment(Map.of("MODPROBE_MODULE", module))
                .withTimeout(timeout);
        if (io.inherits()) {
            child = child.withStdout(ChildProcess.Output.INHERIT).withStderr(ChildProcess.Output.INHERIT);
        } else {
            io.out().flush(); // what the caller printed first comes first
            child = child.withStdout(ChildProcess.Output.copyTo(io.out())).withStderr(ChildProcess.Output.copyTo(io.err()));
        }
        ChildProcess.Result r = child.run();
        return switch (r.ended()) {
            case NOT_STARTED -> new Result(Errno.ENOENT, -1, what + r.error());
            case KILLED -> new Result(Errno.ETIMEDOUT, -1, what + "timed out after " + timeout.toMillis() + " ms, "
                    + r.killed());
            case INTERRUPTED -> new Result(Errno.EINTR, -1, what + "interrupted, " + r.killed());
            // libkmod turns a command's non-zero exit into EINVAL
            case EXITED -> r.exitStatus() == 0 ? new Result(null, 0, null)
                    : new Result(Errno.EINVAL, r.exitStatus(), what + "retcode " + r.exitStatus());
        };
    }
}
