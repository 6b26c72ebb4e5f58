package org.lkmd.config;

import java.util.Locale;
import java.util.Optional;

/**
 * A log level as an admin writes it, read into the logback level the daemon's root logger takes.
 * Accepted: udev's syslog names and numbers ({@code emerg}/0, {@code alert}/1, {@code crit}/2,
 * {@code err}/3 become ERROR; {@code warning}/4 WARN; {@code notice}/5 and {@code info}/6 INFO;
 * {@code debug}/7 DEBUG) and lkmd.toml's own names ({@code error}, {@code warn}, {@code info},
 * {@code debug}, {@code trace}). Case matters, as in udev. Parsing only.
 */
public final class LogLevel {
    /** What a refusal names as accepted. */
    public static final String ACCEPTED = "emerg, alert, crit, err, warning, notice, info, debug, 0-7,"
            + " or error, warn, trace";

    private LogLevel() {
    }

    /** The logback level name ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace}); empty when unknown. */
    public static Optional<String> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String l = switch (text) {
            case "emerg", "alert", "crit", "err", "error", "0", "1", "2", "3" -> "error";
            case "warning", "warn", "4" -> "warn";
            case "notice", "info", "5", "6" -> "info";
            case "debug", "7" -> "debug";
            case "trace" -> "trace";
            default -> null;
        };
        return Optional.ofNullable(l).map(s -> s.toLowerCase(Locale.ROOT));
    }
}
