package org.lkmd.daemon;

import java.math.BigInteger;

/**
 * Module parameters written in modprobe.d compared with the values the kernel shows under
 * {@code /sys/module/M/parameters}, leniently: the kernel prints a value in its own form, not as
 * it was written. Pure functions, no I/O.
 * <ul>
 *   <li>bools: {@code y}, {@code 1}, {@code on}, {@code true} (kstrtobool's first letters) are
 *       the {@code Y} the kernel shows, {@code n}, {@code 0}, {@code off}, {@code false} its
 *       {@code N}; a bare {@code flag} is true;</li>
 *   <li>integers: compared as numbers, written in any base the kernel parses ({@code 0x10},
 *       {@code 020}, {@code 16});</li>
 *   <li>arrays: element by element; the kernel may show more elements than were given (an array
 *       without a count shows all of them), so only those given are compared;</li>
 *   <li>strings: as written without the quotes parse_args removes, case aside.</li>
 * </ul>
 */
final class ParamValues {
    private ParamValues() {
    }


    /** True when {@code live} (as sysfs shows it) can be the value {@code written} in modprobe.d (null: a bare flag). */
    static boolean same(String written, String live) {
        String l = live.strip();
        if (written == null) {
            Boolean b = bool(l);
            return b == null || b;
        }
        String w = written.strip();
        if (scalar(w, l)) {
            return true;
        }
        if (w.indexOf(',') < 0 && l.indexOf(',') < 0) {
            return false;
        }
        String[] we = w.split(",", -1);
        String[] le = l.split(",", -1);
        if (we.length > le.length) {
            return false;
        }
        for (int i = 0; i < we.length; i++) {
            // an empty element leaves the kernel's default in place
            if (!we[i].isEmpty() && !scalar(we[i].strip(), le[i].strip())) {
                return false;
            }
        }
        return true;
    }

    private static boolean scalar(String w, String l) {
        if (w.equalsIgnoreCase(l)) {
            return true;
        }
        BigInteger wn = number(w);
        BigInteger ln = number(l);
        if (wn != null && ln != null) {
            return wn.equals(ln);
        }
        Boolean wb = bool(w);
        Boolean lb = bool(l);
        // the kernel shows a bool as one letter (Y/N) or a bint as a number; a longer word is a string
        return wb != null && lb != null && (l.length() == 1 || ln != null) && wb.equals(lb);
    }

    /** kstrtobool: y/Y/t/T/1 true, n/N/f/F/0 false, on/off; null for anything else. */
    static Boolean bool(String s) {
        if (s.isEmpty()) {
            return null;
        }
        switch (s.charAt(0)) {
            case 'y', 'Y', 't', 'T', '1':
                return true;
            case 'n', 'N', 'f', 'F', '0':
                return false;
            case 'o', 'O':
                if (s.length() > 1) {
                    char c = s.charAt(1);
                    if (c == 'n' || c == 'N') {
                        return true;
                    }
                    if (c == 'f' || c == 'F') {
                        return false;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /** An integer as the kernel's kstrto*() with base 0 reads it (0x hex, leading 0 octal), else null. */
    static BigInteger number(String s) {
        String t = s;
        boolean neg = false;
        if (t.startsWith("-") || t.startsWith("+")) {
            neg = t.startsWith("-");
            t = t.substring(1);
        }
        int radix = 10;
        if (t.length() > 2 && (t.startsWith("0x") || t.startsWith("0X"))) {
            radix = 16;
            t = t.substring(2);
        } else if (t.length() > 1 && t.startsWith("0")) {
            radix = 8;
            t = t.substring(1);
        }
        if (t.isEmpty()) {
            return null;
        }
        for (int i = 0; i < t.length(); i++) {
            if (Character.digit(t.charAt(i), radix) < 0) {
                return null;
            }
        }
        BigInteger v = new BigInteger(t, radix);
        return neg ? v.negate() : v;
    }
}
