package org.lkmd.index;

/**
 * glibc's {@code fnmatch(pattern, string, 0)} in the C locale, which is how libkmod matches
 * alias patterns: {@code *} matches any run (slashes and leading dots included, since no flag is
 * set), {@code ?} any one character, a backslash makes the next character literal (a trailing
 * backslash never matches), and {@code [...]} is a bracket expression: {@code !} or {@code ^}
 * first negates, a {@code ]} first is literal, {@code a-z} ranges compare character codes,
 * {@code [:alpha:]} and the other POSIX classes use their ASCII meaning, {@code [=c=]} and
 * {@code [.c.]} name single characters. A {@code [} without its closing {@code ]} matches a
 * literal {@code [}. Malformed pieces glibc rejects (an unknown class name, a range without its
 * end) make that bracket fail, as in glibc.
 *
 * <p>Strings are byte strings held one byte per char (ISO-8859-1); a NUL ends either string, as
 * in C. A compiled instance is immutable and thread-safe.
 */
public final class Fnmatch {

    /** glibc's bound on a class name inside {@code [: :]}. */
    private static final int CLASS_MAX = 256;
    private static final int FAIL = -1;
    private static final int UNTERMINATED = -2;

    private final char[] pat;
    private final int len;

    private Fnmatch(String pattern) {
        int nul = pattern.indexOf('\0');
        this.pat = (nul < 0 ? pattern : pattern.substring(0, nul)).toCharArray();
        this.len = pat.length;
    }

    /** Prepares {@code pattern} for repeated matching. */
    public static Fnmatch compile(String pattern) {
        return new Fnmatch(pattern);
    }

    /** True when {@code fnmatch(pattern, string, 0) == 0}. */
    public static boolean fnmatch(String pattern, String string) {
        return new Fnmatch(pattern).matches(string, 0);
    }

    /** True when the pattern matches {@code s}. */
    public boolean matches(CharSequence s) {
        return matches(s, 0);
    }

    /** True when the pattern matches {@code s} from index {@code from} to its end (or first NUL). */
    public boolean matches(CharSequence s, int from) {
        int slen = s.length();
        for (int k = from; k < slen; k++) {
            if (s.charAt(k) == '\0') {
                slen = k;
                break;
            }
        }
        int pi = 0;
        int si = from;
        int starP = -1;
        int starS = -1;
        // Every token except '*' consumes exactly one character, so remembering only the last
        // star (and retrying it one character further) decides the same as glibc's recursion.
        while (true) {
            if (pi < len) {
                if (pat[pi] == '*') {
                    pi++;
                    starP = pi;
                    starS = si;
                    continue;
                }
                if (si < slen) {
                    int next = matchOne(pi, s.charAt(si));
                    if (next >= 0) {
                        pi = next;
                        si++;
                        continue;
                    }
                }
            } else if (si == slen) {
                return true;
            }
            if (starP < 0 || starS >= slen) {
                return false;
            }
            starS++;
            si = starS;
            pi = starP;
        }
    }

    private char at(int k) {
        return k < len ? pat[k] : '\0';
    }

    /** Matches the token at {@code pi} against {@code ch}: the index after it, or {@link #FAIL}. */
    private int matchOne(int pi, char ch) {
        char c = pat[pi];
        switch (c) {
            case '?':
                return pi + 1;
            case '\\':
                if (pi + 1 >= len) {
                    return FAIL;
                }
                return pat[pi + 1] == ch ? pi + 2 : FAIL;
            case '[': {
                int r = bracket(pi, ch);
                if (r == UNTERMINATED) {
                    return ch == '[' ? pi + 1 : FAIL;
                }
                return r;
            }
            default:
                return c == ch ? pi + 1 : FAIL;
        }
    }

    /**
     * Evaluates the bracket expression opening at {@code open} for {@code fn}, in glibc's order
     * (its items are tried left to right, and a malformed item met before a match fails the
     * bracket). Returns the index after the closing {@code ]}, {@link #FAIL}, or
     * {@link #UNTERMINATED}.
     */
    private int bracket(int open, char fn) {
        int p = open + 1;
        boolean not = at(p) == '!' || at(p) == '^';
        if (not) {
            p++;
        }
        char c = at(p++);
        while (true) {
            boolean single = false; // c now holds a plain member character ("normal_bracket")
            boolean haveCold = false;
            char cold = 0;
            if (c == '\\') {
                if (at(p) == '\0') {
                    return FAIL;
                }
                c = at(p++);
                single = true;
            } else if (c == '[' && at(p) == ':') {
                int startp = p;
                int n = 0;
                boolean isClass = true;
                while (true) {
                    if (n == CLASS_MAX) {
                        return FAIL;
                    }
                    c = at(++p);
                    if (c == ':' && at(p + 1) == ']') {
                        p += 2;
                        break;
                    }
                    if (c < 'a' || c >= 'z') {
                        p = startp;
                        c = '[';
                        isClass = false;
                        break;
                    }
                    n++;
                }
                if (isClass) {
                    CharClass cls = CharClass.named(new String(pat, startp + 1, n));
                    if (cls == null) {
                        return FAIL;
                    }
                    if (cls.contains(fn)) {
                        return skipRest(p, open, not);
                    }
                    c = at(p++);
                } else {
                    single = true;
                }
            } else if (c == '[' && at(p) == '=') {
                int startp = p;
                c = at(++p);
                if (c == '\0') {
                    p = startp;
                    c = '[';
                    single = true;
                } else {
                    char str = c;
                    c = at(++p);
                    if (c != '=' || at(p + 1) != ']') {
                        p = startp;
                        c = '[';
                        single = true;
                    } else {
                        p += 2;
                        if (fn == str) {
                            return skipRest(p, open, not);
                        }
                        c = at(p++);
                    }
                }
            } else if (c == '\0') {
                return UNTERMINATED;
            } else if (c == '[' && at(p) == '.') {
                int startp = p;
                int n = 0;
                while (true) {
                    c = at(++p);
                    if (c == '.' && at(p + 1) == ']') {
                        p += 2;
                        break;
                    }
                    if (c == '\0') {
                        return FAIL;
                    }
                    n++;
                }
                boolean isRange = at(p) == '-' && at(p + 1) != '\0';
                if (n != 1) {
                    return FAIL;
                }
                if (!isRange && fn == at(startp + 1)) {
                    return skipRest(p, open, not);
                }
                cold = at(startp + 1);
                haveCold = true;
                c = at(p++);
            } else {
                single = true;
            }
            if (single) {
                boolean isRange = at(p) == '-' && at(p + 1) != '\0' && at(p + 1) != ']';
                if (!isRange && c == fn) {
                    return skipRest(p, open, not);
                }
                cold = c;
                haveCold = true;
                c = at(p++);
            }
            if (haveCold && c == '-' && at(p) != ']') {
                char cend = at(p++);
                if (cend == '[' && at(p) == '.') {
                    int startp = p;
                    int n = 0;
                    while (true) {
                        c = at(++p);
                        if (c == '.' && at(p + 1) == ']') {
                            p += 2;
                            break;
                        }
                        if (c == '\0') {
                            return FAIL;
                        }
                        n++;
                    }
                    if (n != 1) {
                        return FAIL;
                    }
                    cend = at(startp + 1);
                } else {
                    if (cend == '\\') {
                        cend = at(p++);
                    }
                    if (cend == '\0') {
                        return FAIL;
                    }
                }
                if (cold <= fn && fn <= cend) {
                    return skipRest(p, open, not);
                }
                c = at(p++);
            }
            if (c == ']') {
                return not ? p : FAIL;
            }
        }
    }

    /** After a member matched: finds the closing {@code ]} the way glibc skips the rest. */
    private int skipRest(int p, int open, boolean not) {
        char c;
        do {
            c = at(p++);
            if (c == '\0') {
                return UNTERMINATED;
            }
            if (c == '\\') {
                if (at(p) == '\0') {
                    return FAIL;
                }
                p++;
            } else if (c == '[' && at(p) == ':') {
                int startp = p;
                int n = 0;
                boolean closed = false;
                while (true) {
                    c = at(++p);
                    if (++n == CLASS_MAX) {
                        return FAIL;
                    }
                    if (c == ':' && at(p + 1) == ']') {
                        closed = true;
                        break;
                    }
                    if (c < 'a' || c >= 'z') {
                        break;
                    }
                }
                if (closed) {
                    p += 2;
                } else {
                    p = startp;
                }
                c = '[';
            } else if (c == '[' && at(p) == '=') {
                c = at(++p);
                if (c == '\0') {
                    return FAIL;
                }
                c = at(++p);
                if (c != '=' || at(p + 1) != ']') {
                    return FAIL;
                }
                p += 2;
            } else if (c == '[' && at(p) == '.') {
                while (true) {
                    c = at(++p);
                    if (c == '\0') {
                        return FAIL;
                    }
                    if (c == '.' && at(p + 1) == ']') {
                        break;
                    }
                }
                p += 2;
            }
        } while (c != ']');
        return not ? FAIL : p;
    }

    /** The POSIX classes in the C locale. */
    private enum CharClass {
        ALNUM, ALPHA, BLANK, CNTRL, DIGIT, GRAPH, LOWER, PRINT, PUNCT, SPACE, UPPER, XDIGIT;

        static CharClass named(String name) {
            for (CharClass c : values()) {
                if (c.name().toLowerCase(java.util.Locale.ROOT).equals(name)) {
                    return c;
                }
            }
            return null;
        }

        boolean contains(char ch) {
            boolean upper = ch >= 'A' && ch <= 'Z';
            boolean lower = ch >= 'a' && ch <= 'z';
            boolean digit = ch >= '0' && ch <= '9';
            boolean graph = ch > 0x20 && ch < 0x7f;
            switch (this) {
                case ALNUM: return upper || lower || digit;
                case ALPHA: return upper || lower;
                case BLANK: return ch == ' ' || ch == '\t';
                case CNTRL: return ch < 0x20 || ch == 0x7f;
                case DIGIT: return digit;
                case GRAPH: return graph;
                case LOWER: return lower;
                case PRINT: return graph || ch == ' ';
                case PUNCT: return graph && !(upper || lower || digit);
                case SPACE: return ch == ' ' || (ch >= '\t' && ch <= '\r');
                case UPPER: return upper;
                case XDIGIT: return digit || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
                default: return false;
            }
        }
    }
}
