package org.lkmd.rules;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one logical rules line into {@code KEY[{attr}] OP "value"} tokens the way udev reads
 * them: tokens are separated by any run of whitespace and commas; a key ends at whitespace,
 * {@code =}, {@code {} or an operator; the attribute runs to the first {@code }}; the value must
 * be double-quoted, optionally prefixed by {@code e} (C escapes are decoded) and/or {@code i}
 * (case-insensitive match). Without {@code e} the only escape is {@code \"}; other backslashes
 * stay as written (they mean something to fnmatch). Strings are byte strings, one char per byte.
 */
final class RuleLineLexer {

    /** One lexed token. {@code text} is the token as written, for messages. */
    record Token(String key, String attr, Operator op, String value, boolean caseInsensitive, String text) {
    }

    /** A line that cannot be lexed; udev drops the whole line. */
    static final class LexException extends Exception {
        LexException(String message) {
            super(message);
        }
    }

    private RuleLineLexer() {
    }

    static List<Token> lex(String line) throws LexException {
        List<Token> tokens = new ArrayList<>();
        int n = line.length();
        int p = 0;
        while (true) {
            while (p < n && (isSpace(line.charAt(p)) || line.charAt(p) == ',')) {
                p++;
            }
            if (p >= n) {
                return tokens;
            }
            int keyBegin = p;
            int keyEnd = p;
            while (true) {
                if (keyEnd >= n) {
                    throw new LexException("key '" + line.substring(keyBegin) + "' without operator and value");
                }
                char c = line.charAt(keyEnd);
                if (isSpace(c) || c == '=' || c == '{') {
                    break;
                }
                if ("+-!:".indexOf(c) >= 0 && keyEnd + 1 < n && line.charAt(keyEnd + 1) == '=') {
                    break;
                }
                keyEnd++;
            }
            String key = line.substring(keyBegin, keyEnd);
            String attr = null;
            int q = keyEnd;
            if (line.charAt(keyEnd) == '{') {
                int close = line.indexOf('}', keyEnd + 1);
                if (close < 0) {
                    throw new LexException("missing '}' after " + key + "{");
                }
                attr = line.substring(keyEnd + 1, close);
                q = close + 1;
            }
            while (q < n && isSpace(line.charAt(q))) {
                q++;
            }
            Operator op = operatorAt(line, q);
            if (op == null) {
                throw new LexException("missing or invalid operator after '" + line.substring(keyBegin, q).trim() + "'");
            }
            q += op == Operator.ASSIGN ? 1 : 2;
            while (q < n && isSpace(line.charAt(q))) {
                q++;
            }
            boolean escaped = false;
            boolean insensitive = false;
            for (int k = q; k < n && k < q + 2 && line.charAt(k) != '"'; k++) {
                char c = line.charAt(k);
                if (c == 'e' && !escaped) {
                    escaped = true;
                } else if (c == 'i' && !insensitive) {
                    insensitive = true;
                } else {
                    throw new LexException("value of " + key + " is not double-quoted");
                }
            }
            q += (escaped ? 1 : 0) + (insensitive ? 1 : 0);
            if (q >= n || line.charAt(q) != '"') {
                throw new LexException("value of " + key + " is not double-quoted");
            }
            StringBuilder value = new StringBuilder();
            int i = q + 1;
            if (!escaped) {
                while (true) {
                    if (i >= n) {
                        throw new LexException("unterminated quoted value of " + key);
                    }
                    char c = line.charAt(i);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\' && i + 1 < n && line.charAt(i + 1) == '"') {
                        i++;
                        c = '"';
                    }
                    value.append(c);
                    i++;
                }
            } else {
                int start = i;
                while (true) {
                    if (i < n && line.charAt(i) == '\\') {
                        i++;
                    }
                    if (i >= n) {
                        throw new LexException("unterminated quoted value of " + key);
                    }
                    if (line.charAt(i) == '"') {
                        break;
                    }
                    i++;
                }
                value.append(cunescape(line.substring(start, i), key));
            }
            p = i + 1;
            tokens.add(new Token(key, attr, op, value.toString(), insensitive, line.substring(keyBegin, p)));
        }
    }

    private static Operator operatorAt(String s, int i) {
        if (s.startsWith("==", i)) {
            return Operator.MATCH;
        }
        if (s.startsWith("!=", i)) {
            return Operator.NOMATCH;
        }
        if (s.startsWith("+=", i)) {
            return Operator.ADD;
        }
        if (s.startsWith("-=", i)) {
            return Operator.REMOVE;
        }
        if (s.startsWith("=", i)) {
            return Operator.ASSIGN;
        }
        if (s.startsWith(":=", i)) {
            return Operator.ASSIGN_FINAL;
        }
        return null;
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    /** systemd's strict C unescaping of an {@code e"..."} value; NUL results are refused. */
    static String cunescape(String s, String key) throws LexException {
        StringBuilder out = new StringBuilder();
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= n) {
                throw new LexException("trailing backslash in escaped value of " + key);
            }
            char e = s.charAt(i);
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 's' -> out.append(' ');
                case '\\', '"', '\'' -> out.append(e);
                case 'x' -> {
                    int v = hex(s, i + 1, 2, key);
                    if (v == 0) {
                        throw new LexException("\\x00 in escaped value of " + key);
                    }
                    out.append((char) v);
                    i += 2;
                }
                case 'u', 'U' -> {
                    int digits = e == 'u' ? 4 : 8;
                    int v = hex(s, i + 1, digits, key);
                    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                        throw new LexException("invalid \\" + e + " escape in value of " + key);
                    }
                    for (byte b : new String(Character.toChars(v)).getBytes(StandardCharsets.UTF_8)) {
                        out.append((char) (b & 0xff));
                    }
                    i += digits;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        if (i + 2 >= n) {
                            throw new LexException("short octal escape in value of " + key);
                        }
                        int v = 0;
                        for (int k = 0; k < 3; k++) {
                            char d = s.charAt(i + k);
                            if (d < '0' || d > '7') {
                                throw new LexException("invalid octal escape in value of " + key);
                            }
                            v = v * 8 + (d - '0');
                        }
                        if (v == 0 || v > 0xff) {
                            throw new LexException("invalid octal escape in value of " + key);
                        }
                        out.append((char) v);
                        i += 2;
                    } else {
                        throw new LexException("unknown escape '\\" + e + "' in value of " + key);
                    }
                }
            }
        }
        return out.toString();
    }

    private static int hex(String s, int from, int digits, String key) throws LexException {
        if (from + digits > s.length()) {
            throw new LexException("short hex escape in value of " + key);
        }
        int v = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(s.charAt(from + k), 16);
            if (d < 0) {
                throw new LexException("invalid hex escape in value of " + key);
            }
            v = v * 16 + d;
        }
        return v;
    }
}
