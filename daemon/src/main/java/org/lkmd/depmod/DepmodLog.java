package org.lkmd.depmod;

import java.io.PrintStream;

/**
 * depmod's messages, as kmod prints them: {@code depmod: WARNING: ...} on stderr, filtered by
 * verbosity (warnings and worse by default, each {@code -v} one level more).
 */
public final class DepmodLog {
    /** syslog priorities, as kmod uses them. */
    public static final int ERR = 3;
    public static final int WARNING = 4;
    public static final int INFO = 6;
    public static final int DEBUG = 7;

    private final PrintStream err;
    private final int verbosity;
    private final java.io.ByteArrayOutputStream held;

    public DepmodLog(PrintStream err, int extraVerbosity) {
        this.err = err;
        this.verbosity = WARNING + extraVerbosity;
        this.held = null;
    }

    private DepmodLog(java.io.ByteArrayOutputStream held, int verbosity) {
        this.err = new PrintStream(held, true, java.nio.charset.StandardCharsets.ISO_8859_1);
        this.verbosity = verbosity;
        this.held = held;
    }

    /** A log with the same verbosity whose messages are held until {@link #flushTo} (for work done in parallel). */
    public DepmodLog buffered() {
        return new DepmodLog(new java.io.ByteArrayOutputStream(), verbosity);
    }

    /** Prints what a {@link #buffered()} log held, in order. */
    public void flushTo(DepmodLog target) {
        err.flush();
        if (held != null) {
            synchronized (target.err) {
                target.err.print(held.toString());
                target.err.flush();
            }
            held.reset();
        }
    }

    /** True when {@code -v} was given (depmod then also prints what it does on stdout). */
    public boolean verbose() {
        return verbosity > WARNING;
    }

    public void error(String msg) {
        log(ERR, "ERROR", msg);
    }

    public void warn(String msg) {
        log(WARNING, "WARNING", msg);
    }

    public void info(String msg) {
        log(INFO, "INFO", msg);
    }

    public void debug(String msg) {
        log(DEBUG, "DEBUG", msg);
    }

    public void fatal(String msg) {
        synchronized (err) {
            err.print("depmod: FATAL: " + msg + "\n");
            err.flush();
        }
    }

    private void log(int prio, String name, String msg) {
        if (prio > verbosity) {
            return;
        }
        synchronized (err) {
            err.print("depmod: " + name + ": " + msg + "\n");
            err.flush();
        }
    }
}
