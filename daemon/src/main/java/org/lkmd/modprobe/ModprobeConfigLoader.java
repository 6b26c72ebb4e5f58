package org.lkmd.modprobe;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the modprobe configuration the way libkmod finds it: the {@code *.conf} and
 * {@code *.alias} files (not starting with '.') of kmod's directories, a file name in an earlier
 * directory hiding the same name in later ones, all survivors parsed in byte order of their
 * names whatever their directory, with the module directory's {@code modules.softdep} and
 * {@code modules.weakdep} sorted in among them; then lkmd's own directories ({@link #LKMD_DIRS},
 * which kmod never reads: the place for {@code deny}), with the same rules among themselves; then
 * the kernel command line. {@code -C PATH} replaces all the directories with the given files or
 * directories.
 */
public final class ModprobeConfigLoader {
    /** kmod's directories, highest priority first. */
    public static final List<String> DIRS = List.of("/etc/modprobe.d", "/run/modprobe.d",
            "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d");

    /**
     * lkmd's modprobe.d-syntax directories, highest priority first: read by lkmd only, after kmod's
     * files. kmod's tools (and udev's kmod builtin, and the kernel's fallback to kmod's modprobe)
     * never read them, so a {@code deny} line here does not make kmod print an error at every run.
     */
    public static final List<String> LKMD_DIRS = List.of("/etc/lkmd/modprobe.d", "/run/lkmd/modprobe.d",
            "/usr/lib/lkmd/modprobe.d");

    /** The directories whose files come with packages (the distribution's, kmod's, lkmd's), not from the administrator. */
    public static final List<String> SHIPPED_DIRS = List.of("/usr/lib/modprobe.d", "/lib/modprobe.d",
            "/usr/lib/lkmd/modprobe.d");

    /**
     * Whether a configuration file (as {@link ConfigEntry#file()} names it) came with a package: one
     * of {@link #SHIPPED_DIRS} under the root, or the module directory's {@code modules.softdep} and
     * {@code modules.weakdep}, which depmod writes from the modules themselves.
     */
    public static java.util.function.Predicate<String> shipped(Root root, Path modulesDir) {
        List<Path> dirs = SHIPPED_DIRS.stream().map(root::resolve).toList();
        return file -> {
            Path f = Path.of(file);
            return dirs.contains(f.getParent())
                    || (modulesDir != null && modulesDir.equals(f.getParent()) && f.getFileName() != null
                    && f.getFileName().toString().startsWith("modules."));
        };
    }

    /** Largest config file read; a larger one is reported and skipped. */
    public static final long MAX_FILE = 4L << 20;

    private ModprobeConfigLoader() {
    }

    /**
     * Loads the configuration.
     *
     * @param root       where {@code /etc}, {@code /run}, {@code /lib} and {@code /proc/cmdline} are
     * @param modulesDir the module directory (for {@code modules.softdep}, {@code modules.weakdep}); may be null
     * @param override   {@code -C} paths (files or directories, as given); empty for kmod's directories
     */
    public static ParseResult<ModprobeConfig> load(Root root, Path modulesDir, List<Path> override) {
        List<Diagnostic> diags = new ArrayList<>();
        Map<String, Path> files = new TreeMap<>(ModprobeConfigLoader::byteOrder);
        List<Path> dirs = new ArrayList<>();
        if (override.isEmpty()) {
            DIRS.forEach(d -> dirs.add(root.resolve(d)));
        } else {
            dirs.addAll(override);
        }
        for (Path dir : dirs) {
            collect(dir, files, diags);
        }
        if (modulesDir != null) {
            for (String name : List.of("modules.softdep", "modules.weakdep")) {
                Path p = modulesDir.resolve(name);
                if (Files.isRegularFile(p)) {
                    files.putIfAbsent(name, p);
                }
            }
        }
        Map<String, Path> lkmdFiles = new TreeMap<>(ModprobeConfigLoader::byteOrder);
        if (override.isEmpty()) {
            LKMD_DIRS.forEach(d -> collect(root.resolve(d), lkmdFiles, diags));
        }
        List<Path> ordered = new ArrayList<>(files.values());
        ordered.addAll(lkmdFiles.values());
        List<ConfigEntry> entries = new ArrayList<>();
        for (Path p : ordered) {
            try {
                if (Files.size(p) > MAX_FILE) {
                    diags.add(Diagnostic.error(p.toString(), 0, "file larger than " + (MAX_FILE >> 20) + " MiB, ignored"));
                    continue;
                }
                String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                ModprobeConfigParser.parse(p.toString(), text, entries, diags);
            } catch (IOException e) {
                diags.add(Diagnostic.error(p.toString(), 0, "cannot read: " + reason(e)));
            }
        }
        Path cmdline = root.resolve("/proc/cmdline");
        if (Files.isRegularFile(cmdline)) {
            try {
                KernelCmdlineParser.parse("/proc/cmdline",
                        new String(Files.readAllBytes(cmdline), StandardCharsets.ISO_8859_1), entries);
            } catch (IOException e) {
                diags.add(Diagnostic.error(cmdline.toString(), 0, "cannot read: " + reason(e)));
            }
        }
        return ParseResult.of(new ModprobeConfig(entries), diags);
    }

    private static void collect(Path path, Map<String, Path> files, List<Diagnostic> diags) {
        if (Files.isRegularFile(path)) {
            files.putIfAbsent(path.getFileName().toString(), path);
            return;
        }
        if (!Files.isDirectory(path)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || !(name.endsWith(".conf") || name.endsWith(".alias"))
                        || name.length() < 6) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    diags.add(Diagnostic.error(p.toString(), 0, "directories inside directories are not supported, ignored"));
                    continue;
                }
                files.putIfAbsent(name, p);
            }
        } catch (IOException e) {
            diags.add(Diagnostic.error(path.toString(), 0, "cannot list: " + reason(e)));
        }
    }

    /**
     * A warning (file:line) for each {@code deny} line in a directory kmod reads: kmod's modprobe,
     * udev's kmod builtin and the kernel's fallback to kmod print an error for the line at every
     * run. lkmd honours it all the same; the warning names lkmd's own directory.
     */
    public static List<Diagnostic> denyInKmodDirs(Root root, ModprobeConfig config) {
        List<Path> kmodDirs = DIRS.stream().map(root::resolve).toList();
        List<Diagnostic> out = new ArrayList<>();
        for (ConfigEntry e : config.entries()) {
            if (e instanceof ConfigEntry.Deny d) {
                Path parent = Path.of(d.file()).getParent();
                if (parent != null && kmodDirs.contains(parent)) {
                    out.add(Diagnostic.warning(d.file(), d.line(), "'deny' is lkmd's own: kmod's tools (modprobe, "
                            + "udev's kmod builtin) print an error for this line at every run; move it to "
                            + LKMD_DIRS.get(0) + "/"));
                }
            }
        }
        return out;
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m != null ? " " + m : "");
    }

    /** strcmp order of file names. */
    private static int byteOrder(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }
}
