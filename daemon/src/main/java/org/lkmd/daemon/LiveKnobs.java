package org.lkmd.daemon;

import ch.qos.logback.classic.Level;
import org.lkmd.config.DaemonConfig;
import org.lkmd.config.KernelCmdlineKnobs;
import org.slf4j.LoggerFactory;

/**
 * The log level and the number of event workers in force, and who set them. Precedence, as udevd
 * has it (udev.conf, then its own options, then the kernel command line, then {@code udevadm
 * control}, each over the one before): lkmd.toml, then {@code LKMD_LOG_LEVEL} (log level only),
 * then the kernel command line ({@code lkmd.log_level=}, {@code lkmd.children_max=}), then
 * {@code lkmd control}. A value set by {@code lkmd control} lasts until the daemon stops: a
 * reload re-reads lkmd.toml but keeps it, as udevd keeps its control settings. Thread-safe: the
 * control socket sets, reloads and {@code status} read.
 */
final class LiveKnobs {
    static final String TOML = "lkmd.toml";
    static final String ENV = "LKMD_LOG_LEVEL";
    static final String CMDLINE = "kernel command line";
    static final String CONTROL = "lkmd control";

    private volatile KernelCmdlineKnobs cmdline = KernelCmdlineKnobs.none();
    /** Set by {@code lkmd control --log-level}: a logback level name, or null. */
    private volatile String controlLevel;
    /** Where the workers in force came from. */
    private volatile String workersSource = TOML;

    /** The kernel command line's settings, read once at start. */
    void cmdline(KernelCmdlineKnobs k) {
        cmdline = k;
    }

    KernelCmdlineKnobs cmdline() {
        return cmdline;
    }

    /** The workers to start the queue with: the command line's {@code lkmd.children_max}, else lkmd.toml's. */
    int startWorkers(DaemonConfig c) {
        if (cmdline.childrenMax().isPresent()) {
            workersSource = CMDLINE;
            int n = cmdline.childrenMax().getAsInt();
            return n > 0 ? n : DaemonConfig.defaults().effectiveWorkers();
        }
        workersSource = TOML;
        return c.effectiveWorkers();
    }

    /** Who set the workers in force. */
    String workersSource() {
        return workersSource;
    }

    void workersSetByControl() {
        workersSource = CONTROL;
    }

    /** Sets the root logger's level from {@code lkmd control} and applies it at once. */
    synchronized void controlLogLevel(String level, DaemonConfig c) {
        controlLevel = level;
        apply(c);
    }

    /** Applies the level in force to the root logger (at start, after each reload, after {@code lkmd control}). */
    synchronized void apply(DaemonConfig c) {
        String level = level(c);
        if (level != null && LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(Level.toLevel(level, Level.INFO));
        }
    }

    /** The level asked for, or null when {@code LKMD_LOG_LEVEL} rules (it was applied when logging started). */
    private String level(DaemonConfig c) {
        if (controlLevel != null) {
            return controlLevel;
        }
        if (cmdline.logLevel().isPresent()) {
            return cmdline.logLevel().get();
        }
        return System.getenv(ENV) == null ? c.logLevel() : null;
    }

    /** Who set the log level in force. */
    String logLevelSource() {
        if (controlLevel != null) {
            return CONTROL;
        }
        if (cmdline.logLevel().isPresent()) {
            return CMDLINE;
        }
        return System.getenv(ENV) == null ? TOML : ENV;
    }

    /** The root logger's level now, in lower case. */
    static String logLevelNow() {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger l
                && l.getLevel() != null) {
            return l.getLevel().toString().toLowerCase(java.util.Locale.ROOT);
        }
        return "unknown";
    }
}
