package org.lkmd.depmod;

import org.lkmd.elf.KoFile;
import org.lkmd.elf.ModInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One module as depmod handles it: where it was found, what it declares, and the dependency
 * bookkeeping kmod's depmod keeps per module (array index, users, topological index).
 * Mutable; owned by one {@link Depmod} run.
 */
public final class DepmodModule {
    final String name;
    final Path path;
    /** Path relative to the module dir, or null for a module outside it (external dir). */
    final String relpath;
    /** The path as kmod prints it in messages. */
    final String shown;
    int sortIdx = 1;
    int idx;
    int users;
    int depSortIdx = Integer.MAX_VALUE;
    ModInfo info;
    /** {@code alias} and {@code softdep} values of {@link #info}, taken out once. */
    List<String> aliases = List.of();
    List<String> softdeps = List.of();
    List<String> exports = List.of();
    List<KoFile.DependencySymbol> dependencySymbols = List.of();
    final List<DepmodModule> deps = new ArrayList<>();

    DepmodModule(String name, Path path, String relpath, String dirname) {
        this.name = name;
        this.path = path;
        this.relpath = relpath;
        this.shown = relpath != null ? dirname + "/" + relpath : path.toString();
    }

    /** Module name ('-' turned into '_'). */
    public String name() {
        return name;
    }

    /** The path as {@code modules.dep} writes it: relative when under the module dir. */
    public String depPath() {
        return relpath != null ? relpath : path.toString();
    }

    /** Relative path with the compression suffix dropped, as matched against {@code modules.order}; null outside the module dir. */
    String uncompressedRelpath() {
        if (relpath == null) {
            return null;
        }
        int slash = relpath.lastIndexOf('/');
        int len = slash + 1 + name.length() + 3;
        return relpath.substring(0, Math.min(len, relpath.length()));
    }

    /** {@code .modinfo} values of a key, in section order; empty when the module has no readable .modinfo. */
    List<String> infoValues(String key) {
        if (key.equals("alias")) {
            return aliases;
        }
        if (key.equals("softdep")) {
            return softdeps;
        }
        return info == null ? List.of() : info.all(key);
    }

    @Override
    public String toString() {
        return depPath();
    }
}
