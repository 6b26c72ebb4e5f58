package org.lkmd.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs one child process to its end under a time limit: install/remove commands, {@code RUN}
 * programs and {@code PROGRAM} conditions all go through here, with one policy.
 *
 * <p><b>Input and output.</b> stdin is {@code /dev/null}: nothing the daemon runs may wait for
 * input. stdout and stderr each go where their {@link Output} says: discarded, inherited (the
 * daemon's journal stream), copied to a caller's stream as they come, or captured up to a bound
 * (the rest is read and thrown away, so a chatty child can neither block on a full pipe nor fill
 * memory).
 *
 * <p><b>Timeout.</b> A child still running at the limit is killed with SIGKILL together with
 * every process it started: the descendants are listed while the child still lives (once it dies
 * they are reparented and no longer its descendants), each descendant's own children are listed
 * before it is killed, and the child dies first so that a shell cannot report its killed children.
 * The child is then reaped, and the result says {@link Ended#KILLED} only once every one of
 * those processes is dead (exited or a zombie waiting for its new parent); one that is still
 * alive after {@link #KILL_WAIT} (stuck in the kernel, where SIGKILL waits) is counted in
 * {@link Result#survivors}. A process that left the tree before the timeout (a double fork to
 * init) is out of reach, as it is for anything short of a cgroup.
 *
 * <p>The caller's thread blocks in {@link #run}; output copying uses two short-lived daemon threads.
 */
public final class ChildProcess {
    /** How long killed processes get to die before the caller goes on regardless. */
    public static final Duration KILL_WAIT = Duration.ofSeconds(5);
    /** How long, after the child exited, output still coming from processes it left running is copied. */
    private static final long DRAIN_WAIT_MS = 2000;

    private final List<String> argv;
    private final Map<String, String> environment;
    private final boolean replaceEnvironment;
    private final Output stdout;
    private final Output stderr;
    private final Duration timeout;

    private ChildProcess(List<String> argv, Map<String, String> environment, boolean replaceEnvironment,
                         Output stdout, Output stderr, Duration timeout) {
        this.argv = List.copyOf(argv);
        this.environment = Map.copyOf(environment);
        this.replaceEnvironment = replaceEnvironment;
        this.stdout = stdout;
        this.stderr = stderr;
        this.timeout = timeout;
    }

    /** {@code argv} as given (no shell, no lookup), the daemon's environment, output discarded, 30 s. */
    public static ChildProcess of(List<String> argv) {
        return new ChildProcess(argv, Map.of(), false, Output.DISCARD, Output.DISCARD, Duration.ofSeconds(30));
    }

    /** The daemon's environment plus {@code extra}. */
    public ChildProcess withAddedEnvironment(Map<String, String> extra) {
        return new ChildProcess(argv, extra, false, stdout, stderr, timeout);
    }

    /** Exactly {@code env} as the environment, nothing inherited. */
    public ChildProcess withEnvironment(Map<String, String> env) {
        return new ChildProcess(argv, env, true, stdout, stderr, timeout);
    }

    public ChildProcess withStdout(Output out) {
        return new ChildProcess(argv, environment, replaceEnvironment, out, stderr, timeout);
    }

    public ChildProcess withStderr(Output err) {
        return new ChildProcess(argv, environment, replaceEnvironment, stdout, err, timeout);
    }

    public ChildProcess withTimeout(Duration limit) {
        return new ChildProcess(argv, environment, replaceEnvironment, stdout, stderr, limit);
    }

    /** Where one output stream of the child goes. */
    public record Output(Kind kind, int limit, PrintStream to) {
        enum Kind { DISCARD, INHERIT, COPY, CAPTURE }

        public static final Output DISCARD = new Output(Kind.DISCARD, 0, null);
        public static final Output INHERIT = new Output(Kind.INHERIT, 0, null);

        /** Copied to {@code to} as it comes (synchronised on {@code to}, flushed after each read). */
        public static Output copyTo(PrintStream to) {
            return new Output(Kind.COPY, 0, to);
        }

        /** Kept, up to {@code limit} bytes, in {@link Result#output}. */
        public static Output capture(int limit) {
            return new Output(Kind.CAPTURE, limit, null);
        }
    }

    /** How the child ended. */
    public enum Ended {
        /** It exited by itself (or was killed by someone else): see {@link Result#exitStatus}. */
        EXITED,
        /** It could not be started: see {@link Result#error}. */
        NOT_STARTED,
        /** The time limit passed; it and its descendants were killed. */
        KILLED,
        /** The caller's thread was interrupted; it and its descendants were killed. */
        INTERRUPTED
    }

    /**
     * @param exitStatus the exit status ({@code 128+N} for death by signal N), -1 unless {@link Ended#EXITED}
     * @param output     the captured stdout (or stderr) bytes, empty unless captured
     * @param survivors  killed processes still alive after {@link #KILL_WAIT}
     * @param error      why it could not be started, else null
     */
    public record Result(Ended ended, int exitStatus, byte[] output, int survivors, String error) {
        public boolean succeeded() {
            return ended == Ended.EXITED && exitStatus == 0;
        }

        /**
         * "killed" once every process is dead; otherwise says how many were still alive after
         * the kill wait (a process stuck in the kernel acts on SIGKILL only when it leaves it).
         */
        public String killed() {
            return "killed" + stillAlive();
        }

        /** Empty once every killed process is dead, else ", N processes not dead yet after 5000 ms". */
        public String stillAlive() {
            return survivors == 0 ? "" : ", " + survivors + (survivors == 1 ? " process" : " processes")
                    + " not dead yet after " + KILL_WAIT.toMillis() + " ms";
        }
    }

    /** Runs the child to its end, or to its kill. */
    public Result run() {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(new File("/dev/null"));
        redirect(pb, stdout, true);
        redirect(pb, stderr, false);
        if (replaceEnvironment) {
            pb.environment().clear();
        }
        pb.environment().putAll(environment);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(Ended.NOT_STARTED, -1, new byte[0], 0, e.getMessage());
        }
        Capture captured = new Capture(Math.max(stdout.limit(), stderr.limit()));
        List<Thread> pumps = new ArrayList<>();
        startPump(p.getInputStream(), stdout, captured, "child-stdout", pumps);
        startPump(p.getErrorStream(), stderr, captured, "child-stderr", pumps);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                int survivors = killTree(p);
                return new Result(Ended.KILLED, -1, captured.bytes(), survivors, null);
            }
            // What the child wrote lands before what the caller prints next; a process it left
            // running that keeps the pipe open is not waited for past the bound.
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_WAIT_MS);
            for (Thread t : pumps) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            int survivors = killTree(p);
            Thread.currentThread().interrupt();
            return new Result(Ended.INTERRUPTED, -1, captured.bytes(), survivors, null);
        }
        return new Result(Ended.EXITED, p.exitValue(), captured.bytes(), 0, null);
    }

    private static void redirect(ProcessBuilder pb, Output o, boolean isStdout) {
        ProcessBuilder.Redirect r = switch (o.kind()) {
            case DISCARD -> ProcessBuilder.Redirect.DISCARD;
            case INHERIT -> ProcessBuilder.Redirect.INHERIT;
            case COPY, CAPTURE -> ProcessBuilder.Redirect.PIPE;
        };
        if (isStdout) {
            pb.redirectOutput(r);
        } else {
            pb.redirectError(r);
        }
    }

    private static void startPump(InputStream in, Output o, Capture captured, String name, List<Thread> pumps) {
        OutputStream to = switch (o.kind()) {
            case COPY -> o.to();
            case CAPTURE -> captured;
            case DISCARD, INHERIT -> null;
        };
        if (to == null) {
            return;
        }
        Thread t = new Thread(() -> copy(in, to), name);
        t.setDaemon(true);
        t.start();
        pumps.add(t);
    }

    /** Copies until EOF (every process holding the pipe has closed it or died). */
    private static void copy(InputStream in, OutputStream to) {
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
            // the child went away: what it wrote so far was passed on
        }
    }

    /** The captured output: the first {@code limit} bytes, the rest dropped. */
    private static final class Capture extends OutputStream {
        private final int limit;
        private final java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();

        Capture(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int room = limit - kept.size();
            if (room > 0) {
                kept.write(b, off, Math.min(room, len));
            }
        }

        synchronized byte[] bytes() {
            return kept.toByteArray();
        }
    }

    /**
     * Kills the child and its descendants (see the class comment) and waits until they are dead.
     *
     * @return how many were still alive after {@link #KILL_WAIT}
     */
    private static int killTree(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroyForcibly();
        Set<Long> seen = new HashSet<>();
        Deque<ProcessHandle> todo = new ArrayDeque<>(tree);
        tree.forEach(h -> seen.add(h.pid()));
        while (!todo.isEmpty()) {
            ProcessHandle h = todo.poll();
            // what it started since the first listing, listed before it dies
            for (ProcessHandle c : h.descendants().toList()) {
                if (seen.add(c.pid())) {
                    tree.add(c);
                    todo.add(c);
                }
            }
            h.destroyForcibly();
        }
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        boolean interrupted = false;
        try {
            // reaps the child
            p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            // SIGKILL is delivered, not yet acted on: a loaded machine can take a while to schedule them
            while (tree.stream().anyMatch(ChildProcess::running) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        int survivors = (int) tree.stream().filter(ChildProcess::running).count() + (p.isAlive() ? 1 : 0);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return survivors;
    }

    /**
     * Whether the process still runs. A killed process that its new parent has not reaped yet is a
     * zombie: dead, though {@link ProcessHandle#isAlive} still says true.
     */
    static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false; // gone
        }
    }
}
