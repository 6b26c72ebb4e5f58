package org.lkmd.base;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a kernel command line ({@code /proc/cmdline}) into its words the way the kernel and
 * libkmod do: at blanks outside double quotes, the quotes kept in the word; only the first line
 * counts, and a word whose quote is never closed is dropped. Parsing only; no I/O.
 */
public final class CmdlineWords {
    private CmdlineWords() {
    }

    /** The words of {@code cmdline}, in order. */
    public static List<String> split(String cmdline) {
        List<String> out = new ArrayList<>();
        int nl = cmdline.indexOf('\n');
        String s = nl >= 0 ? cmdline.substring(0, nl) : cmdline;
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                w.append(c);
            } else if (c == ' ' && !quoted) {
                if (!w.isEmpty()) {
                    out.add(w.toString());
                }
                w.setLength(0);
            } else {
                w.append(c);
            }
        }
        if (!w.isEmpty() && !quoted) {
            out.add(w.toString());
        }
        return out;
    }
}
