package org.lkmd.elf;

/** fnmatch(3) without flags, for alias patterns: {@code *}, {@code ?}, {@code [...]} with ranges and {@code !}/{@code ^}. */
final class Glob {
    private Glob() {
    }

    static boolean matches(String pattern, String text) {
        return match(pattern, 0, text, 0);
    }

    private static boolean match(String p, int pi, String t, int ti) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            switch (c) {
                case '*' -> {
                    while (pi < p.length() && p.charAt(pi) == '*') {
                        pi++;
                    }
                    if (pi == p.length()) {
                        return true;
                    }
                    for (int k = ti; k <= t.length(); k++) {
                        if (match(p, pi, t, k)) {
                            return true;
                        }
                    }
                    return false;
                }
                case '?' -> {
                    if (ti >= t.length()) {
                        return false;
                    }
                    pi++;
                    ti++;
                }
                case '[' -> {
                    if (ti >= t.length()) {
                        return false;
                    }
                    int end = p.indexOf(']', pi + 2);
                    if (end < 0) {
                        if (t.charAt(ti) != '[') {
                            return false;
                        }
                        pi++;
                        ti++;
                        continue;
                    }
                    String set = p.substring(pi + 1, end);
                    boolean neg = !set.isEmpty() && (set.charAt(0) == '!' || set.charAt(0) == '^');
                    if (neg) {
                        set = set.substring(1);
                    }
                    char ch = t.charAt(ti);
                    boolean in = false;
                    for (int i = 0; i < set.length(); i++) {
                        if (i + 2 < set.length() && set.charAt(i + 1) == '-') {
                            if (ch >= set.charAt(i) && ch <= set.charAt(i + 2)) {
                                in = true;
                            }
                            i += 2;
                        } else if (set.charAt(i) == ch) {
                            in = true;
                        }
                    }
                    if (in == neg) {
                        return false;
                    }
                    pi = end + 1;
                    ti++;
                }
                default -> {
                    if (ti >= t.length() || t.charAt(ti) != c) {
                        return false;
                    }
                    pi++;
                    ti++;
                }
            }
        }
        return ti == t.length();
    }
}
