package org.lkmd.rules;

import org.lkmd.index.Fnmatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The right-hand side of a match key, compiled the way udev reads it: {@code |} separates
 * alternatives (an empty alternative, as in {@code "|foo"}, matches the empty string); when the
 * value as a whole contains one of {@code * ? [}, every alternative is an fnmatch pattern,
 * otherwise each is compared literally; an empty value matches only an empty (or absent) string;
 * for SUBSYSTEM the words {@code subsystem}, {@code bus} and {@code class} stand for each other.
 * Immutable.
 */
public final class Pattern {
    enum Kind { EMPTY, PLAIN, GLOB, SUBSYSTEM }

    private static final List<String> SUBSYSTEM_WORDS = List.of("subsystem", "bus", "class");

    private final String text;
    private final Kind kind;
    private final boolean matchesEmpty;
    private final boolean caseInsensitive;
    private final List<String> alternatives;
    private final List<Fnmatch> globs;

    private Pattern(String text, Kind kind, boolean matchesEmpty, boolean caseInsensitive, List<String> alternatives) {
        this.text = text;
        this.kind = kind;
        this.matchesEmpty = matchesEmpty;
        this.caseInsensitive = caseInsensitive;
        this.alternatives = List.copyOf(alternatives);
        List<Fnmatch> g = new ArrayList<>();
        if (kind == Kind.GLOB) {
            for (String a : alternatives) {
                g.add(Fnmatch.compile(caseInsensitive ? lower(a) : a));
            }
        }
        this.globs = List.copyOf(g);
    }

    /**
     * Compiles a match value.
     *
     * @param value           the unquoted value
     * @param splitBars       whether {@code |} separates alternatives (all match keys but TEST and PROGRAM)
     * @param subsystemKey    whether this is the SUBSYSTEM key (for its subsystem/bus/class words)
     * @param caseInsensitive udev's {@code i"..."} prefix
     */
    static Pattern compile(String value, boolean splitBars, boolean subsystemKey, boolean caseInsensitive) {
        if (subsystemKey && SUBSYSTEM_WORDS.contains(value)) {
            return new Pattern(value, Kind.SUBSYSTEM, false, caseInsensitive, SUBSYSTEM_WORDS);
        }
        if (value.isEmpty()) {
            return new Pattern(value, Kind.EMPTY, true, caseInsensitive, List.of());
        }
        Kind kind = value.chars().anyMatch(c -> c == '*' || c == '?' || c == '[') ? Kind.GLOB : Kind.PLAIN;
        if (!splitBars) {
            return new Pattern(value, kind, false, caseInsensitive, List.of(value));
        }
        List<String> alts = new ArrayList<>();
        boolean empty = false;
        int start = 0;
        for (int i = 0; i <= value.length(); i++) {
            if (i == value.length() || value.charAt(i) == '|') {
                if (i == start) {
                    empty = true;
                } else {
                    alts.add(value.substring(start, i));
                }
                start = i + 1;
            }
        }
        if (alts.isEmpty()) {
            // "|" or "||": only the empty alternative is left
            return new Pattern(value, Kind.EMPTY, true, caseInsensitive, List.of());
        }
        return new Pattern(value, kind, empty, caseInsensitive, alts);
    }

    /** True when {@code s} (null meaning absent, matched as the empty string) matches. */
    public boolean matches(String s) {
        String str = s == null ? "" : s;
        switch (kind) {
            case EMPTY:
                return str.isEmpty();
            case SUBSYSTEM:
                return alternatives.stream().anyMatch(a -> caseInsensitive ? a.equalsIgnoreCase(str) : a.equals(str));
            case PLAIN:
                if (matchesEmpty && str.isEmpty()) {
                    return true;
                }
                for (String a : alternatives) {
                    if (caseInsensitive ? a.equalsIgnoreCase(str) : a.equals(str)) {
                        return true;
                    }
                }
                return false;
            default:
                if (matchesEmpty && str.isEmpty()) {
                    return true;
                }
                String subject = caseInsensitive ? lower(str) : str;
                for (Fnmatch g : globs) {
                    if (g.matches(subject)) {
                        return true;
                    }
                }
                return false;
        }
    }

    /** True when the value ends in whitespace, in which case attribute values are compared untrimmed. */
    boolean endsInWhitespace() {
        return !text.isEmpty() && Character.isWhitespace(text.charAt(text.length() - 1));
    }

    Kind kind() {
        return kind;
    }

    /** The value as written (after unquoting). */
    public String text() {
        return text;
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return text;
    }
}
