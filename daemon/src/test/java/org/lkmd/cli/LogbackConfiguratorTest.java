package org.lkmd.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.status.ErrorStatus;
import ch.qos.logback.core.status.InfoStatus;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.status.WarnStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogbackConfiguratorTest {
    @Test
    void configuredContextHasAListenerSoLogbackSkipsItsStatusPrinter() {
        LoggerContext ctx = new LoggerContext();
        new LogbackConfigurator().configure(ctx);
        // logback's service provider prints statuses itself (StatusPrinter) only when no listener is there
        assertTrue(StatusUtil.contextHasStatusListener(ctx));
        assertTrue(ctx.getStatusManager().getCopyOfStatusListenerList().stream()
                .anyMatch(l -> l instanceof LogbackConfigurator.ProblemsToStderr));
    }

    @Test
    void warningsAndErrorsOfLogbackAreOneLineEachInfoIsNot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LoggerContext ctx = new LoggerContext();
        ctx.getStatusManager().add(new LogbackConfigurator.ProblemsToStderr(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        ctx.getStatusManager().add(new InfoStatus("appender started", this));
        ctx.getStatusManager().add(new WarnStatus("no encoder set", this));
        ctx.getStatusManager().add(new ErrorStatus("cannot open the journal", this, new IOException("ENOENT")));
        assertEquals("lkmd: logging: no encoder set\n"
                + "lkmd: logging: cannot open the journal: java.io.IOException: ENOENT\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
