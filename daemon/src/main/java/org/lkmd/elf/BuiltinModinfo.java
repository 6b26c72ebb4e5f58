package org.lkmd.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code modules.builtin.modinfo}: the {@code .modinfo} of modules built into the kernel, as
 * NUL-terminated {@code MODNAME.KEY=VALUE} records. Modules are listed in the order their
 * first record appears; each module's records keep file order.
 */
public final class BuiltinModinfo {
    private final Map<String, List<ModInfo.Entry>> modules;

    private BuiltinModinfo(Map<String, List<ModInfo.Entry>> modules) {
        this.modules = modules;
    }

    /** Parses the file's bytes. Records without a '.' before their '=' are skipped. */
    public static BuiltinModinfo parse(byte[] data) {
        Map<String, List<ModInfo.Entry>> mods = new LinkedHashMap<>();
        for (String rec : KoStrings.split(data, 0, data.length)) {
            int dot = rec.indexOf('.');
            if (dot <= 0) {
                continue;
            }
            String mod = rec.substring(0, dot);
            String kv = rec.substring(dot + 1);
            int eq = kv.indexOf('=');
            ModInfo.Entry e = eq < 0 ? new ModInfo.Entry(kv, null) : new ModInfo.Entry(kv.substring(0, eq), kv.substring(eq + 1));
            mods.computeIfAbsent(mod, k -> new ArrayList<>()).add(e);
        }
        return new BuiltinModinfo(mods);
    }

    /** Module names in file order. */
    public List<String> moduleNames() {
        return new ArrayList<>(modules.keySet());
    }

    /** The records of one builtin module, or null when it is not listed. */
    public ModInfo info(String module) {
        List<ModInfo.Entry> e = modules.get(module);
        return e == null ? null : new ModInfo(e);
    }

    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
