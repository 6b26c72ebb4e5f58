package org.lkmd.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** NUL-separated string sections ({@code .modinfo}, {@code __ksymtab_strings}) split as libkmod does: empty strings dropped. */
final class KoStrings {
    private KoStrings() {
    }

    static List<String> split(byte[] b, int from, int to) {
        List<String> out = new ArrayList<>();
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || b[i] == 0) {
                if (i > start) {
                    out.add(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
                }
                start = i + 1;
            }
        }
        return out;
    }
}
