package org.lkmd.loader;

import org.lkmd.kernel.Errno;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs modprobe.d {@code install}/{@code remove} commands as kmod does ({@code /bin/sh -c CMD} with
 * {@code MODPROBE_MODULE} set, output inherited), bounded by a time limit: a command past it is
 * killed together with every process it started.
 */
final class HookRunner {
    /** How long a killed hook's processes get to die before the caller goes on regardless. */
    private static final long KILL_WAIT_MS = 5000;

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
        ProcessBuilder pb = new ProcessBuilder(shell, "-c", command);
        pb.environment().put("MODPROBE_MODULE", module);
        if (io.inherits()) {
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        Process p;
        try {
            if (!io.inherits()) {
                io.out().flush();
            }
            p = pb.start();
            p.getOutputStream().close(); // no stdin: a hook must not wait for input
        } catch (IOException e) {
            return new Result(Errno.ENOENT, -1, what + e.getMessage());
        }
        Thread[] pumps = io.inherits() ? new Thread[0] : new Thread[] {
            pump(p.getInputStream(), io.out(), "hook-stdout"), pump(p.getErrorStream(), io.err(), "hook-stderr")};
        try {
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (Thread t : pumps) {
                t.join(2000); // the output a finished hook wrote lands before what the caller prints next
            }
            if (!done) {
                kill(p);
                return new Result(Errno.ETIMEDOUT, -1, what + "timed out after " + timeout.toMillis() + " ms, killed");
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            return new Result(Errno.EINTR, -1, what + "interrupted, killed");
        }
        int rc = p.exitValue();
        // libkmod turns a command's non-zero exit into EINVAL
        return rc == 0 ? new Result(null, 0, null) : new Result(Errno.EINVAL, rc, what + "retcode " + rc);
    }

    /** Copies a hook's output to the caller's stream as it comes (a daemon thread; ends at EOF). */
    private static Thread pump(java.io.InputStream in, java.io.PrintStream to, String name) {
        Thread t = new Thread(() -> {
            try (in) {
                byte[] buf = new byte[4096];
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (to) {
                        to.write(buf, 0, n);
                        to.flush();
                    }
                }
            } catch (IOException e) {
                // the hook went away; what it wrote so far was passed on
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Kills the command and everything it started. The descendants are listed before the shell dies
     * (after, they would be reparented and no longer listed) but killed after it, so that the shell
     * cannot report its killed child ("Killed") into the caller's output.
     */
    private static void kill(Process p) {
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
        try {
            p.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
            // SIGKILL is delivered, not yet acted on: the caller reports the hook killed only once
            // every process of it has died (a loaded machine can take a while to schedule them).
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_WAIT_MS);
            while (started.stream().anyMatch(HookRunner::running) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether the process still runs. A killed process that its new parent has not reaped yet is a
     * zombie: dead, though {@link ProcessHandle#isAlive} still says true.
     */
    private static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + h.pid() + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException | RuntimeException e) {
            return false; // gone
        }
    }
}
