package org.lkmd.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code lkmd history --since TIME}: the subset of journalctl's time forms that lkmd accepts.
 * Pure: the current instant and the time zone are given.
 * <ul>
 * <li>{@code YYYY-MM-DD HH:MM[:SS]}, {@code YYYY-MM-DDTHH:MM[:SS]} and {@code YYYY-MM-DD} (local time),
 *     an ISO instant with an offset ({@code 2026-12-06T08:00:00Z});</li>
 * <li>{@code HH:MM[:SS]}: today, local time;</li>
 * <li>{@code now}, {@code today}, {@code yesterday};</li>
 * <li>{@code @SECONDS}: seconds since the epoch;</li>
 * <li>{@code -N UNIT} or {@code N UNIT ago}, UNIT one of {@code s sec min m h hour d day} and their
 *     plurals.</li>
 * </ul>
 */
final class Since {
    /** The forms, for the error message. */
    static final String FORMS = "'YYYY-MM-DD [HH:MM[:SS]]', 'HH:MM[:SS]', 'now', 'today', 'yesterday', "
            + "'@SECONDS', '-10min' or '10min ago'";
    private static final Pattern RELATIVE = Pattern.compile(
            "(?:-\\s*(\\d+)\\s*([a-z]+)|(\\d+)\\s*([a-z]+)\\s+ago)");

    private Since() {
    }

    /** The instant, or empty when the text is none of the forms. */
    static Optional<Instant> parse(String text, Instant now, ZoneId zone) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        LocalDate today = LocalDate.ofInstant(now, zone);
        switch (t) {
            case "now":
                return Optional.of(now);
            case "today":
                return Optional.of(today.atStartOfDay(zone).toInstant());
            case "yesterday":
                return Optional.of(today.minusDays(1).atStartOfDay(zone).toInstant());
            default:
                break;
        }
        if (t.startsWith("@")) {
            try {
                return Optional.of(Instant.ofEpochSecond(Long.parseLong(t.substring(1))));
            } catch (NumberFormatException | java.time.DateTimeException e) {
                return Optional.empty();
            }
        }
        Matcher m = RELATIVE.matcher(t);
        if (m.matches()) {
            String n = m.group(1) != null ? m.group(1) : m.group(3);
            String unit = m.group(2) != null ? m.group(2) : m.group(4);
            return unit(unit).flatMap(u -> {
                try {
                    return Optional.of(now.minus(u.multipliedBy(Long.parseLong(n))));
                } catch (ArithmeticException | NumberFormatException | java.time.DateTimeException e) {
                    return Optional.empty();
                }
            });
        }
        String iso = text.trim().replace(' ', 'T');
        try {
            return Optional.of(Instant.parse(iso));
        } catch (DateTimeParseException e) {
            // not an instant with an offset: a local form below
        }
        try {
            return Optional.of(LocalDateTime.parse(iso).atZone(zone).toInstant());
        } catch (DateTimeParseException e) {
            // not a local date-time
        }
        try {
            return Optional.of(LocalDate.parse(iso).atStartOfDay(zone).toInstant());
        } catch (DateTimeParseException e) {
            // not a date
        }
        try {
            return Optional.of(LocalTime.parse(iso).atDate(today).atZone(zone).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> unit(String u) {
        return switch (u) {
            case "s", "sec", "secs", "second", "seconds" -> Optional.of(Duration.ofSeconds(1));
            case "m", "min", "mins", "minute", "minutes" -> Optional.of(Duration.ofMinutes(1));
            case "h", "hour", "hours" -> Optional.of(Duration.ofHours(1));
            case "d", "day", "days" -> Optional.of(Duration.ofDays(1));
            default -> Optional.empty();
        };
    }
}
