package org.lkmd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** LineLayout writes what logback's own PatternLayout writes for the patterns it stands for. */
class LineLayoutTest {
    private static String pattern(LoggerContext ctx, String pattern, LoggingEvent e) {
        PatternLayout p = new PatternLayout();
        p.setContext(ctx);
        p.setPattern(pattern);
        p.start();
        return p.doLayout(e);
    }

    @Test
    void sameTextAsTheLevelAndJournalPatterns() {
        LoggerContext ctx = new LoggerContext();
        Logger daemon = ctx.getLogger("org.lkmd.daemon.Daemon");
        Logger bare = ctx.getLogger("nodots");
        RuntimeException thrown = new IllegalStateException("outer", new IOException("inner"));
        thrown.addSuppressed(new UnsupportedOperationException("later"));
        for (LoggingEvent e : new LoggingEvent[] {
                new LoggingEvent("x", daemon, Level.INFO, "Loaded module {} for {}", null, new Object[] {"vfat", "fs-vfat"}),
                new LoggingEvent("x", daemon, Level.WARN, "line one\nline two", null, null),
                new LoggingEvent("x", bare, Level.ERROR, "failed", thrown, null),
                new LoggingEvent("x", daemon, Level.DEBUG, "{} of {}", null, new Object[] {1, null})}) {
            LineLayout withLevel = new LineLayout(true);
            LineLayout journal = new LineLayout(false);
            withLevel.setContext(ctx);
            journal.setContext(ctx);
            assertEquals(pattern(ctx, "%-5level %logger{0}: %msg%n", e), withLevel.doLayout(e));
            assertEquals(pattern(ctx, "%logger{0}: %msg%n", e), journal.doLayout(e));
        }
    }
}
