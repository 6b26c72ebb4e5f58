package org.lkmd.elf;

import org.lkmd.index.Fnmatch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds modules by name or alias for modinfo, in libkmod's order of sources: {@code modules.dep}
 * by name, then {@code modules.alias} patterns (matched with glibc's fnmatch, as modprobe does), then builtin modules
 * ({@code modules.builtin}, with records from {@code modules.builtin.modinfo}).
 */
public final class ModuleLookup {
    /**
     * A module found: its file and that file's path as kmod prints it, or null path for a builtin
     * one with its records.
     */
    public record Found(String name, Path path, String shownPath, ModInfo builtinInfo) {
    }

    private final Path moduleDir;
    private final String dirname;

    /** @param dirname the module dir as kmod spells it in output (not normalized) */
    public ModuleLookup(Path moduleDir, String dirname) {
        this.moduleDir = moduleDir;
        this.dirname = dirname;
    }

    private List<String> lines(String file) throws IOException {
        try {
            return List.of(new String(Files.readAllBytes(moduleDir.resolve(file)), StandardCharsets.ISO_8859_1).split("\n"));
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /** Modules for a name or alias; empty when nothing matches. */
    public List<Found> find(String nameOrAlias) throws IOException {
        String key = AliasNormalizer.normalize(nameOrAlias);
        if (key == null) {
            return List.of();
        }
        List<String> dep = lines("modules.dep");
        String byName = byName(dep, key);
        if (byName != null) {
            return List.of(found(key, byName));
        }
        Set<String> names = new LinkedHashSet<>();
        for (String line : lines("modules.alias")) {
            if (!line.startsWith("alias ")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            String pattern = line.substring(6, sp);
            String n = AliasNormalizer.normalize(pattern);
            if (n != null && Fnmatch.fnmatch(n, key)) {
                names.add(line.substring(sp + 1));
            }
        }
        List<Found> out = new ArrayList<>();
        for (String n : names) {
            String p = byName(dep, n);
            if (p != null) {
                out.add(found(n, p));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        for (String line : lines("modules.builtin")) {
            if (!line.isEmpty() && ModuleName.fromPath(line).equals(key)) {
                BuiltinModinfo bm;
                try {
                    bm = BuiltinModinfo.parse(Files.readAllBytes(moduleDir.resolve("modules.builtin.modinfo")));
                } catch (NoSuchFileException e) {
                    bm = BuiltinModinfo.parse(new byte[0]);
                }
                return List.of(new Found(key, null, null, bm.info(key)));
            }
        }
        return List.of();
    }

    private Found found(String name, String depPath) {
        return depPath.startsWith("/") ? new Found(name, Path.of(depPath), depPath, null)
                : new Found(name, moduleDir.resolve(depPath), dirname + "/" + depPath, null);
    }

    private String byName(List<String> dep, String name) {
        for (String line : dep) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String path = line.substring(0, colon);
            if (ModuleName.fromPath(path).equals(name)) {
                return path;
            }
        }
        return null;
    }
}
