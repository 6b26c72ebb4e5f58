package org.lkmd.daemon;

import org.lkmd.base.ModuleNames;
import org.lkmd.base.Root;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.LoadedModule;
import org.lkmd.kernel.ParamArgs;
import org.lkmd.modprobe.ConfigEntry;
import org.lkmd.modprobe.ModprobeConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Initramfs drift: modules that were in the kernel before lkmd started (loaded by the initramfs,
 * whose copy of modprobe.d is as old as the initrd, or by an earlier run) and that the current
 * modprobe.d would not have loaded that way:
 * <ul>
 *   <li>blacklisted: a {@code blacklist} line in a file names the module. kmod's blacklist only
 *       stops loads through an alias, so a module some other module uses (loaded as its
 *       dependency) or one listed in modules-load.d (loaded by name on purpose) is left out;
 *       {@code modprobe.blacklist=} on the kernel command line is too, since the initramfs reads
 *       it as well;</li>
 *   <li>denied: lkmd's {@code deny} names it (kmod in the initramfs ignores {@code deny});</li>
 *   <li>options: a readable parameter differs from the value the module's own {@code options}
 *       lines give it (compared leniently, {@link ParamValues}); parameters without a readable
 *       file, and options given through an alias, are not compared.</li>
 * </ul>
 * Each finding is logged once at start and listed by {@code lkmd status}; nothing is unloaded.
 */
public final class InitramfsDrift {
    /** systemd's modules-load.d directories, and Debian's {@code /etc/modules}. */
    static final List<String> MODULES_LOAD = List.of("/etc/modules-load.d", "/run/modules-load.d",
            "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d");
    private static final long MAX_FILE = 1 << 20;

    /** What kind of drift. */
    public enum Kind { BLACKLISTED, DENIED, OPTIONS }

    /**
     * One module's drift.
     *
     * @param where   the modprobe.d line (FILE:LINE) behind it
     * @param message one line for the log and {@code status}
     */
    public record Finding(String module, Kind kind, String where, String message) {
    }

    private InitramfsDrift() {
    }

    /** The findings for the modules in {@code preloaded}, in their order; reads parameters through the kernel. */
    static List<Finding> check(Root root, ModprobeConfig config, Kernel kernel, Collection<LoadedModule> preloaded) {
        Set<String> byName = null;
        List<Finding> out = new ArrayList<>();
        for (LoadedModule lm : preloaded) {
            String m = ModuleNames.normalizeName(lm.name());
            Optional<ConfigEntry.Deny> deny = config.denied(m);
            if (deny.isPresent()) {
                out.add(new Finding(m, Kind.DENIED, deny.get().where(), "module " + m + " was loaded before lkmd "
                        + "started but is denied at " + deny.get().where() + "; nothing is unloaded (kmod in the "
                        + "initramfs ignores deny: to keep it out of early boot add 'blacklist " + m
                        + "' and rebuild the initramfs with update-initramfs -u, or boot with module_blacklist=" + m
                        + ")"));
                continue;
            }
            Optional<ConfigEntry.Blacklist> bl = blacklistLine(config, m);
            if (bl.isPresent() && lm.usedBy().isEmpty() && kernel.holders(m).isEmpty()) {
                if (byName == null) {
                    byName = modulesLoad(root);
                }
                if (!byName.contains(m)) {
                    String at = bl.get().file() + ":" + bl.get().line();
                    out.add(new Finding(m, Kind.BLACKLISTED, at, "module " + m + " was loaded before lkmd started "
                            + "but is blacklisted at " + at + " (probably by an initramfs built before that line): "
                            + "rebuild the initramfs with update-initramfs -u"));
                    continue;
                }
            }
            options(config, kernel, m).ifPresent(out::add);
        }
        return out;
    }

    private static Optional<ConfigEntry.Blacklist> blacklistLine(ModprobeConfig config, String m) {
        for (ConfigEntry e : config.entries()) {
            // the command line's blacklist (line 0) reached the initramfs too
            if (e instanceof ConfigEntry.Blacklist b && b.module().equals(m) && b.line() > 0) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    private static Optional<Finding> options(ModprobeConfig config, Kernel kernel, String m) {
        List<ConfigEntry.Options> lines = config.optionLines(m, null).stream()
                .filter(o -> !o.options().isBlank()).toList();
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> live = kernel.parameters(m);
        if (live.isEmpty()) {
            return Optional.empty();
        }
        // the last line giving a parameter wins, as the kernel takes the last assignment
        Map<String, String> want = new TreeMap<>();
        Map<String, ConfigEntry.Options> from = new TreeMap<>();
        for (ConfigEntry.Options o : lines) {
            ParamArgs.parse(o.options()).forEach((p, v) -> {
                want.put(p, v);
                from.put(p, o);
            });
        }
        List<String> differ = new ArrayList<>();
        String where = null;
        for (Map.Entry<String, String> w : want.entrySet()) {
            String l = live.get(w.getKey());
            if (l == null || ParamValues.same(w.getValue(), l)) {
                continue;
            }
            ConfigEntry.Options o = from.get(w.getKey());
            String at = o.line() > 0 ? o.file() + ":" + o.line() : o.file();
            where = where == null ? at : where;
            differ.add(w.getKey() + "=" + (w.getValue() == null ? "" : w.getValue()) + " (" + at + ") but live "
                    + w.getKey() + "=" + l);
        }
        if (differ.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Finding(m, Kind.OPTIONS, where, "module " + m + " was loaded before lkmd started "
                + "with other parameters than modprobe.d gives: " + String.join("; ", differ)
                + "; rebuild the initramfs with update-initramfs -u (and reload the module to apply them now)"));
    }

    /** Module names listed in modules-load.d files and {@code /etc/modules}: loaded by name on purpose. */
    static Set<String> modulesLoad(Root root) {
        Set<String> out = new TreeSet<>();
        Map<String, Path> files = new TreeMap<>();
        for (String d : MODULES_LOAD) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve(d), "*.conf")) {
                for (Path p : ds) {
                    files.putIfAbsent(p.getFileName().toString(), p);
                }
            } catch (IOException e) {
                // a missing directory lists nothing
            }
        }
        List<Path> all = new ArrayList<>(files.values());
        all.add(root.resolve("/etc/modules"));
        for (Path p : all) {
            try {
                if (!Files.isRegularFile(p) || Files.size(p) > MAX_FILE) {
                    continue;
                }
                for (String line : Files.readAllLines(p, StandardCharsets.ISO_8859_1)) {
                    String t = line.strip();
                    if (!t.isEmpty() && t.charAt(0) != '#' && t.charAt(0) != ';') {
                        out.add(ModuleNames.normalizeName(t.split("\\s+")[0]));
                    }
                }
            } catch (IOException e) {
                // unreadable: lists nothing
            }
        }
        return out;
    }
}
