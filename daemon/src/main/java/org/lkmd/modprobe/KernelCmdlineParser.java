package org.lkmd.modprobe;

import org.lkmd.base.CmdlineWords;
import org.lkmd.base.ModuleNames;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads module settings from the kernel command line ({@code /proc/cmdline}) as libkmod does:
 * {@code module.param=value} (or a bare {@code module.flag}) becomes an {@code options} entry, and
 * {@code modprobe.blacklist=a,b} adds blacklist entries. Words are split at blanks outside double
 * quotes. A value may be quoted ({@code m.p="a b"}), and so may the whole word, as boot loaders
 * pass it ({@code "m.p=a b"}, re-quoted to {@code p="a b"}). A word is ignored when its module or
 * parameter name holds a blank, a quote or an '=' (module) or a second '.' (parameter), or when its
 * quote is never closed. Parsing only; no I/O.
 */
public final class KernelCmdlineParser {
    private KernelCmdlineParser() {
    }

    /** Appends the entries found in {@code cmdline} (reported as coming from {@code source}). */
    public static void parse(String source, String cmdline, List<ConfigEntry> entries) {
        for (String word : CmdlineWords.split(cmdline)) {
            parseWord(source, word, entries);
        }
    }

    private static void parseWord(String source, String word, List<ConfigEntry> entries) {
        boolean wholeQuoted = word.startsWith("\"");
        String w = wholeQuoted ? word.substring(1) : word;
        int dot = w.indexOf('.');
        if (dot < 0) {
            return;
        }
        String module = w.substring(0, dot);
        if (module.indexOf('=') >= 0 || module.indexOf('"') >= 0 || module.indexOf(' ') >= 0) {
            return;
        }
        String rest = w.substring(dot + 1);
        int eq = rest.indexOf('=');
        String param = eq < 0 ? rest : rest.substring(0, eq);
        if (param.indexOf('.') >= 0 || param.indexOf('"') >= 0 || param.indexOf(' ') >= 0) {
            return;
        }
        String option;
        if (eq < 0) {
            if (wholeQuoted) {
                return;
            }
            option = param;
        } else {
            String value = rest.substring(eq + 1);
            if (wholeQuoted) {
                // the closing quote must end the word: "m.p=a b" -> p="a b"
                if (!value.endsWith("\"") || value.indexOf('"') != value.length() - 1) {
                    return;
                }
                option = param + "=\"" + value.substring(0, value.length() - 1) + "\"";
            } else {
                if (unquotedBlank(value)) {
                    return;
                }
                option = param + "=" + value;
            }
        }
        if (module.equals("modprobe") && option.startsWith("blacklist=")) {
            for (String b : option.substring("blacklist=".length()).split(",", -1)) {
                entries.add(new ConfigEntry.Blacklist(b, source, 0));
            }
            return;
        }
        ModuleNames.normalizeAlias(module)
                .ifPresent(m -> entries.add(new ConfigEntry.Options(m, option, source, 0)));
    }

    private static boolean unquotedBlank(String value) {
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                return true;
            }
        }
        return false;
    }
}
