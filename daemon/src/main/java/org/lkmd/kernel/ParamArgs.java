package org.lkmd.kernel;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A module's parameter string ({@code a=1 b="x y" c}) split as the kernel's {@code parse_args}
 * splits it: at blanks outside double quotes, the quotes removed. Parsing only; no I/O.
 */
public final class ParamArgs {
    private ParamArgs() {
    }

    /**
     * Parameter name (with '-' as '_', as the kernel's {@code parameq()} compares) to value; a
     * bare name maps to null. A later value of a name replaces an earlier one and takes its place
     * at the end, as the later assignment wins in the kernel.
     */
    public static Map<String, String> parse(String params) {
        Map<String, String> out = new LinkedHashMap<>();
        if (params == null) {
            return out;
        }
        int i = 0;
        int n = params.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(params.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder tok = new StringBuilder();
            boolean quoted = false;
            while (i < n && (quoted || !Character.isWhitespace(params.charAt(i)))) {
                char c = params.charAt(i++);
                if (c == '"') {
                    quoted = !quoted;
                } else {
                    tok.append(c);
                }
            }
            String t = tok.toString();
            int eq = t.indexOf('=');
            String key = (eq < 0 ? t : t.substring(0, eq)).replace('-', '_');
            out.remove(key);
            out.put(key, eq < 0 ? null : t.substring(eq + 1));
        }
        return out;
    }
}
