package org.lkmd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.CoreConstants;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code %journalPriority}: the syslog priority prefix journald reads from a service's output
 * ({@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug and trace).
 */
public final class JournalPriorityConverter extends ClassicConverter {
    static final String KEYWORD = "journalPriority";

    @Override
    public String convert(ILoggingEvent event) {
        return prefix(event.getLevel());
    }

    static String prefix(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }

    /** Makes the keyword known to pattern layouts created in {@code ctx} from now on. */
    @SuppressWarnings("unchecked")
    static void register(Context ctx) {
        Map<String, String> rules = (Map<String, String>) ctx.getObject(CoreConstants.PATTERN_RULE_REGISTRY);
        if (rules == null) {
            rules = new HashMap<>();
            ctx.putObject(CoreConstants.PATTERN_RULE_REGISTRY, rules);
        }
        rules.put(KEYWORD, JournalPriorityConverter.class.getName());
    }
}
