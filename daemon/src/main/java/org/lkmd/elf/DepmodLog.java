package org.lkmd.elf;

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

    public DepmodLog(PrintStream err, int extraVerbosity) {
        this.err = err;
        this.verbosity = WARNING + extraVerbosity;
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
