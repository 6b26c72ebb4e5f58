package org.lkmd.cli;

import java.io.PrintStream;

/**
 * Messages of the kmod-compatible tools, as kmod prints them: {@code modprobe: FATAL: ...},
 * syslog priorities, shown when the priority is within the verbosity ({@code -q} shows nothing,
 * each {@code -v} one level more).
 */
final class ToolLog {
    static final int EMERG = 0;
    static final int CRIT = 2;
    static final int ERR = 3;
    static final int WARNING = 4;
    static final int NOTICE = 5;
    static final int INFO = 6;
    static final int DEBUG = 7;

    private final PrintStream err;
    private final String tool;
    private final int verbosity;

    ToolLog(PrintStream err, String tool, int verbosity) {
        this.err = err;
        this.tool = tool;
        this.verbosity = verbosity;
    }

    int verbosity() {
        return verbosity;
    }

    void log(int priority, String message) {
        if (priority <= verbosity) {
            err.println(tool + ": " + name(priority) + ": " + message);
        }
    }

    void error(String message) {
        log(ERR, message);
    }

    void warning(String message) {
        log(WARNING, message);
    }

    private static String name(int priority) {
        return switch (priority) {
            case EMERG -> "EMERGENCY";
            case 1 -> "ALERT";
            case CRIT -> "FATAL";
            case ERR -> "ERROR";
            case WARNING -> "WARNING";
            case NOTICE -> "NOTICE";
            case INFO -> "INFO";
            default -> "DEBUG";
        };
    }
}
