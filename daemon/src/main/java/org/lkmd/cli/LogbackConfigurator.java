package org.lkmd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;

import java.io.PrintStream;

/**
 * The program's logging set-up, in code: logs go to stderr as {@code LEVEL Logger: message} (tools
 * keep stdout for output). When stderr is the systemd journal ({@code $JOURNAL_STREAM} names it),
 * records go to the journal through its native protocol instead ({@link JournalAppender}): with
 * their priority, so {@code journalctl -p warning} filters, and their fields ({@code MODULE=},
 * {@code DEVPATH=}, {@code SEQNUM=}, {@code ORIGIN=}). At {@code LKMD_LOG_LEVEL}
 * or WARN until the daemon applies its configured level. Found by logback through
 * {@code META-INF/services}; it replaces a {@code logback.xml} because parsing XML is most of
 * logback's start-up (about 0.4 s of a 1.4 s daemon start natively, over 10 s in an emulated guest).
 * {@code -Dlogback.configurationFile=FILE} or a {@code logback-test.xml} on the class path still
 * take over. Logback's own problems (a status at WARN or above) are one line each on stderr: a
 * listener of ours prints them, so logback does not set up its status printer (its date formatter
 * initialises {@code java.time}'s time-zone rules at every start, for nothing when all is well).
 * Lines are written by {@link LineLayout}, not a pattern: no pattern parser runs at start.
 */
public final class LogbackConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null
                || LogbackConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        ctx.getStatusManager().add(new ProblemsToStderr(System.err));
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getenv("LKMD_LOG_LEVEL"), Level.WARN));
        root.addAppender(JournalStream.isStderr(System.getenv("JOURNAL_STREAM")) ? journal(ctx) : stderr(ctx));
        // netty warns at every start on a machine whose interfaces have no MAC address yet (early
        // boot) that it uses random bytes for channel ids: true and harmless for a local socket.
        ctx.getLogger("io.netty.util.internal.MacAddressUtil").setLevel(Level.ERROR);
        // and, before any interface is up (no loopback yet), that it found none, with a stack trace:
        // it needs none for a Unix socket
        ctx.getLogger("io.netty.util.NetUtilInitializations").setLevel(Level.ERROR);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static Appender<ILoggingEvent> stderr(LoggerContext ctx) {
        LineLayout layout = new LineLayout(true);
        layout.setContext(ctx);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(ctx);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        return stderr;
    }

    private static Appender<ILoggingEvent> journal(LoggerContext ctx) {
        JournalAppender journal = new JournalAppender(JournalAppender.SOCKET, System.err);
        journal.setContext(ctx);
        journal.setName("JOURNAL");
        journal.start();
        return journal;
    }

    /** Logback's own warnings and errors, one line each ({@code lkmd: logging: MESSAGE[: CAUSE]}). */
    static final class ProblemsToStderr implements StatusListener {
        private final PrintStream err;

        ProblemsToStderr(PrintStream err) {
            this.err = err;
        }

        @Override
        public void addStatusEvent(Status status) {
            if (status.getEffectiveLevel() >= Status.WARN) {
                Throwable t = status.getThrowable();
                err.println("lkmd: logging: " + status.getMessage() + (t == null ? "" : ": " + t));
            }
        }
    }
}
