package org.lkmd.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;

/**
 * One log record as text: {@code LEVEL Logger: message} and a newline (the level padded to five
 * characters, the logger's simple name), then a throwable's stack trace as logback writes it; or,
 * for the journal, which has the level as a field of its own, without the level. That is what the
 * patterns {@code %-5level %logger{0}: %msg%n} and {@code %logger{0}: %msg%n} give, without
 * logback's pattern parser and converter classes, which loaded and ran at every start before the
 * daemon's first line of work.
 */
final class LineLayout extends LayoutBase<ILoggingEvent> {
    private final boolean withLevel;

    /** @param withLevel start with the level (stderr); without it for the journal */
    LineLayout(boolean withLevel) {
        this.withLevel = withLevel;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(128);
        if (withLevel) {
            String level = event.getLevel().toString();
            sb.append(level);
            for (int i = level.length(); i < 5; i++) {
                sb.append(' ');
            }
            sb.append(' ');
        }
        String name = event.getLoggerName();
        sb.append(name, name.lastIndexOf('.') + 1, name.length()).append(": ").append(event.getFormattedMessage())
                .append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            sb.append(ThrowableProxyUtil.asString(thrown));
        }
        return sb.toString();
    }
}
