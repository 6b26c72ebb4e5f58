package org.lkmd.index;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code modules.devname} text ({@code MODULE DEVNAME TYPEMAJOR:MINOR}, comment lines
 * starting with {@code #}) the way kmod's {@code static-nodes} reads it: the file is taken in lines
 * of at most 4095 bytes (a longer line is read as several), each read as a C {@code scanf} of two
 * words, a type character, an unsigned number, {@code ':'} and an unsigned number; anything after
 * them is ignored. A line that does not give all five, or whose type is neither {@code c} nor
 * {@code b}, is an error diagnostic whose message is {@code invalid devname entry: } followed by the
 * line as read, its newline included; the other lines are still used.
 *
 * <p>The text is taken as ISO-8859-1 so that every byte survives to the output unchanged.
 */
public final class DevnameParser {
    /** A line as kmod reads it: a 4096-byte buffer, so at most 4095 bytes and its terminator. */
    static final int MAX_LINE = 4095;

    private DevnameParser() {
    }

    public static ParseResult<List<DevnameEntry>> parse(String file, String text) {
        List<DevnameEntry> entries = new ArrayList<>();
        List<Diagnostic> diags = new ArrayList<>();
        int lineNo = 0;
        int pos = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? text.length() : nl + 1;
            end = Math.min(end, pos + MAX_LINE);
            String chunk = text.substring(pos, end);
            pos = end;
            lineNo++;
            if (chunk.charAt(0) == '#') {
                continue;
            }
            DevnameEntry e = scan(lineNo, chunk);
            if (e == null) {
                diags.add(Diagnostic.error(file, lineNo, "invalid devname entry: " + chunk));
            } else {
                entries.add(e);
            }
        }
        return ParseResult.of(List.copyOf(entries), diags);
    }

    /** The five fields of one line, or null when scanf would not give all five or the type is wrong. */
    private static DevnameEntry scan(int lineNo, String s) {
        Cursor c = new Cursor(s);
        String module = c.word();
        String devname = module == null ? null : c.word();
        if (devname == null) {
            return null;
        }
        c.skipSpace();
        if (c.atEnd()) {
            return null;
        }
        char type = c.next();
        Long major = c.unsigned();
        if (major == null || c.atEnd() || c.next() != ':') {
            return null;
        }
        Long minor = c.unsigned();
        if (minor == null || (type != 'c' && type != 'b')) {
            return null;
        }
        return new DevnameEntry(lineNo, module, devname, type, major, minor);
    }

    private static final class Cursor {
        private final String s;
        private int i;

        Cursor(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return i >= s.length();
        }

        char next() {
            return s.charAt(i++);
        }

        void skipSpace() {
            while (i < s.length() && isSpace(s.charAt(i))) {
                i++;
            }
        }

        /** {@code %s}: whitespace skipped, then the non-whitespace run; null when there is none. */
        String word() {
            skipSpace();
            int start = i;
            while (i < s.length() && !isSpace(s.charAt(i))) {
                i++;
            }
            return i > start ? s.substring(start, i) : null;
        }

        /**
         * {@code %u}: whitespace, an optional sign, decimal digits, converted as {@code strtoul}
         * (saturating at 2^64-1, a minus sign negating) and stored in 32 bits; null without digits.
         */
        Long unsigned() {
            skipSpace();
            boolean negative = false;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                negative = s.charAt(i) == '-';
                i++;
            }
            int start = i;
            long v = 0;
            boolean overflow = false;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                int d = s.charAt(i) - '0';
                if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) {
                    overflow = true;
                }
                v = v * 10 + d;
                i++;
            }
            if (i == start) {
                return null;
            }
            if (overflow) {
                v = -1L;
            } else if (negative) {
                v = -v;
            }
            return v & 0xffffffffL;
        }

        private static boolean isSpace(char ch) {
            return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\u000b' || ch == '\f' || ch == '\r';
        }
    }
}
