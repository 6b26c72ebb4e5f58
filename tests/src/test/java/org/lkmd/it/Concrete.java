package org.lkmd.it;

/** Turns a modules.alias glob into a string it matches: {@code *} to a filler, {@code ?} to a letter, {@code [..]} to a member. */
final class Concrete {
    private Concrete() {
    }

    static String of(String pattern, String starFiller) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                sb.append(starFiller);
            } else if (c == '?') {
                sb.append('Q');
            } else if (c == '[') {
                int close = pattern.indexOf(']', i + 2);
                if (close < 0) {
                    sb.append(c);
                    continue;
                }
                String set = pattern.substring(i + 1, close);
                sb.append(member(set));
                i = close;
            } else if (c == '\\' && i + 1 < pattern.length()) {
                sb.append(pattern.charAt(++i));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static char member(String set) {
        boolean negate = set.startsWith("!") || set.startsWith("^");
        String body = negate ? set.substring(1) : set;
        if (!negate) {
            return body.charAt(0);
        }
        for (char c : "0aZ_xQ9".toCharArray()) {
            if (!inSet(body, c)) {
                return c;
            }
        }
        return '~';
    }

    private static boolean inSet(String body, char c) {
        for (int i = 0; i < body.length(); i++) {
            if (i + 2 < body.length() && body.charAt(i + 1) == '-') {
                if (body.charAt(i) <= c && c <= body.charAt(i + 2)) {
                    return true;
                }
                i += 2;
            } else if (body.charAt(i) == c) {
                return true;
            }
        }
        return false;
    }
}
