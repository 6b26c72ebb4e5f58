package org.lkmd.depmod;

import org.lkmd.elf.ModuleFiles;
import org.lkmd.base.ModuleNames;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the module files of a release the way kmod's depmod does: a recursive walk of the module
 * dir in directory (readdir) order, skipping {@code .}, {@code ..}, {@code build}, {@code source}
 * and depmod.d {@code exclude} names, then each {@code external} dir. Symlinks are followed. When
 * two files give the same module name, depmod.d's {@code override} and {@code search} rules pick
 * one; on equal priority the first found stays.
 */
final class ModuleScanner {
    private final Path moduleDir;
    private final String dirname;
    private final DepmodConfig cfg;
    private final DepmodLog log;
    private final Map<String, DepmodModule> byName = new HashMap<>();
    private final java.util.function.Consumer<DepmodModule> onFound;

    /** @param onFound told of each module chosen so far (a later, higher-priority copy may replace it) */
    ModuleScanner(Path moduleDir, String dirname, DepmodConfig cfg, DepmodLog log,
                  java.util.function.Consumer<DepmodModule> onFound) {
        this.moduleDir = moduleDir;
        this.dirname = dirname;
        this.cfg = cfg;
        this.log = log;
        this.onFound = onFound;
    }

    /** Walks the module dir and the external dirs; returns the chosen module per name. */
    Map<String, DepmodModule> scan(List<Path> externalDirs) throws IOException {
        walk(moduleDir, true);
        for (Path ext : externalDirs) {
            if (Files.isDirectory(ext)) {
                walk(ext, false);
            }
        }
        return byName;
    }

    /** The given module files only (depmod without {@code -a}); a later file of the same name replaces an earlier one. */
    Map<String, DepmodModule> only(List<Path> files) throws IOException {
        for (Path p : files) {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            }
            String modname = ModuleNames.fromPath(p.toString());
            String rel = p.startsWith(moduleDir) ? moduleDir.relativize(p).toString() : null;
            byName.put(modname, new DepmodModule(modname, p, rel, dirname));
        }
        return byName;
    }

    private void walk(Path dir, boolean top) throws IOException {
        DirectoryStream<Path> ds;
        try {
            ds = Files.newDirectoryStream(dir);
        } catch (IOException e) {
            if (top) {
                throw e;
            }
            log.error("openat(" + dir + ", O_RDONLY): " + reason(e));
            return;
        }
        try (ds) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.equals("build") || name.equals("source") || cfg.excludes().contains(name)) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isSymbolicLink()) {
                        a = Files.readAttributes(p, BasicFileAttributes.class);
                    }
                } catch (IOException e) {
                    log.error("fstatat(" + dir + ", " + name + "): " + reason(e));
                    continue;
                }
                if (a.isDirectory()) {
                    walk(p, false);
                } else if (a.isRegularFile()) {
                    if (ModuleFiles.isModuleFile(name)) {
                        consider(p);
                    }
                } else {
                    log.error("unsupported file type " + p + ": " + Integer.toOctalString(fileType(p)));
                }
            }
        }
    }

    private void consider(Path p) {
        String modname = ModuleNames.fromPath(p.toString());
        DepmodModule old = byName.get(modname);
        if (old != null && oldIsHigherPriority(old, p, modname)) {
            log.debug("Ignored lower priority: " + p + ", higher: " + old.shown);
            return;
        }
        String rel = p.startsWith(moduleDir) ? moduleDir.relativize(p).toString() : null;
        DepmodModule m = new DepmodModule(modname, p, rel, dirname);
        byName.put(modname, m);
        onFound.accept(m);
    }

    /** kmod's depmod_module_is_higher_priority: true when the module already found should stay. */
    private boolean oldIsHigherPriority(DepmodModule old, Path newPath, String modname) {
        String newRel = relStem(newPath, modname);
        String oldRel = relStem(old.path, modname);
        for (String ov : cfg.overrides()) {
            if (ov.equals(newRel)) {
                return false;
            }
            if (ov.equals(oldRel)) {
                return true;
            }
        }
        int bprio = -1;
        int eprio = -1;
        int newprio = -1;
        int oldprio = -1;
        List<DepmodConfig.Search> searches = cfg.searches();
        for (int i = 0; i < searches.size(); i++) {
            DepmodConfig.Search se = searches.get(i);
            if (se.builtin()) {
                bprio = i;
            } else if (se.external()) {
                eprio = i;
            } else if (newRel != null && newRel.startsWith(se.path())) {
                newprio = i;
            } else if (oldRel != null && oldRel.startsWith(se.path())) {
                oldprio = i;
            }
        }
        if (newRel == null) {
            newprio = eprio;
        }
        if (oldRel == null) {
            oldprio = eprio;
        }
        if (newprio < 0) {
            newprio = bprio;
        }
        if (oldprio < 0) {
            oldprio = bprio;
        }
        return newprio <= oldprio;
    }

    /** "dir/modname-as-in-file" relative to the module dir, or null outside it. */
    private String relStem(Path p, String modname) {
        if (!p.startsWith(moduleDir)) {
            return null;
        }
        String rel = moduleDir.relativize(p).toString();
        int slash = rel.lastIndexOf('/');
        return rel.substring(0, Math.min(rel.length(), slash + 1 + modname.length()));
    }

    /** {@code st_mode & S_IFMT}, as kmod prints it for entries that are neither file nor dir. */
    private static int fileType(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode")) & 0170000;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            String r = fse.getReason();
            if (r.contains("symbolic links")) {
                return "Too many levels of symbolic links";
            }
            return r;
        }
        return String.valueOf(e.getMessage());
    }
}
