package org.lkmd.index;

import org.lkmd.base.ModuleNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses depmod's text index files (text in, values out; no I/O). Lines that do not have the
 * expected shape are skipped, as libkmod and modprobe skip them.
 */
public final class TextIndexReader {

    private TextIndexReader() {
    }

    /** One key/value line of an alias-like file ({@code alias KEY VALUE}). */
    public record Entry(String key, String value) {
    }

    /** {@code modules.dep}: one entry per {@code path: dep dep...} line, in file order. */
    public static List<DepEntry> parseDep(String text) {
        List<DepEntry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            parseDepLine(line).ifPresent(out::add);
        }
        return out;
    }

    /** One {@code modules.dep} line (also the value stored in {@code modules.dep.bin}). */
    public static Optional<DepEntry> parseDepLine(String line) {
        int colon = line.indexOf(':');
        if (line.startsWith("#") || colon <= 0) {
            return Optional.empty();
        }
        String path = line.substring(0, colon).trim();
        List<String> deps = new ArrayList<>();
        for (String d : line.substring(colon + 1).trim().split("[ \t]+")) {
            if (!d.isEmpty()) {
                deps.add(d);
            }
        }
        return Optional.of(new DepEntry(ModuleNames.fromPath(path), path, deps));
    }

    /** {@code modules.alias} / {@code modules.symbols}: {@code alias KEY VALUE} lines in order. */
    public static List<Entry> parseAliases(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("[ \t]+");
            if (f.length >= 3 && f[0].equals("alias")) {
                out.add(new Entry(f[1], f[2]));
            }
        }
        return out;
    }

    /** {@code modules.builtin}: the module names (paths to basename, extension dropped, '-' to '_'). */
    public static List<String> parseBuiltin(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String path = line.trim();
            if (!path.isEmpty() && !path.startsWith("#")) {
                out.add(ModuleNames.fromPath(path));
            }
        }
        return out;
    }

    /**
     * {@code modules.builtin.modinfo}: the {@code alias} records ({@code module.alias=value},
     * NUL-separated) as (alias, module) entries in file order.
     */
    public static List<Entry> parseBuiltinModinfo(String text) {
        List<Entry> out = new ArrayList<>();
        for (String rec : text.split("\0")) {
            int dot = rec.indexOf('.');
            int eq = rec.indexOf('=');
            if (dot > 0 && eq > dot && rec.substring(dot + 1, eq).equals("alias")) {
                out.add(new Entry(rec.substring(eq + 1), rec.substring(0, dot)));
            }
        }
        return out;
    }

    /** {@code modules.order}: module paths in link order. */
    public static List<String> parseOrder(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

}
