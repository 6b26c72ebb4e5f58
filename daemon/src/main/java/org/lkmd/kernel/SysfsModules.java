package org.lkmd.kernel;

import org.lkmd.base.ModuleNames;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Module state as the kernel shows it under a root: {@code /sys/module/<name>/{initstate,refcnt,
 * holders/}}, {@code /proc/modules} and {@code /sys/module/compression}. Shared by the real and
 * the simulated kernel, so both are read the same way. Names are taken '-' or '_' spelled.
 */
final class SysfsModules {
    private final Root root;

    SysfsModules(Root root) {
        this.root = root;
    }

    Path dir(String name) {
        return root.sysModule(ModuleNames.normalizeName(name));
    }

    /** {@code initstate}'s word; a directory without it is a builtin module with parameters. */
    ModuleState state(String name) {
        Path dir = dir(name);
        try {
            ModuleState s = ModuleState.fromInitstate(Files.readString(dir.resolve("initstate")));
            if (s != null) {
                return s;
            }
        } catch (IOException e) {
            // no initstate: builtin modules with parameters have only the directory
        }
        return Files.isDirectory(dir) ? ModuleState.BUILTIN : ModuleState.ABSENT;
    }

    int refcount(String name) {
        try {
            return Integer.parseInt(Files.readString(dir(name).resolve("refcnt")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The entries of {@code /sys/module/<name>/holders} in the directory's own order, as libkmod
     * reads them (kmod's lsmod prints them so, and rmmod's "in use by" names them so); empty when
     * the directory cannot be read.
     */
    List<String> holders(String name) {
        Path dir = dir(name).resolve("holders");
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                out.add(p.getFileName().toString());
            }
        } catch (IOException e) {
            return List.of();
        }
        return List.copyOf(out);
    }

    List<String> boundDevices(String name) {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> drivers = Files.newDirectoryStream(dir(name).resolve("drivers"))) {
            for (Path drv : drivers) {
                // each entry links to /sys/bus/<bus>/drivers/<driver>, whose links other than
                // "module" are the bound devices (bind, unbind, uevent, new_id... are files)
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(drv)) {
                    for (Path p : ds) {
                        String n = p.getFileName().toString();
                        if (Files.isSymbolicLink(p) && !n.equals("module")) {
                            out.add(drv.getFileName() + "/" + n);
                        }
                    }
                } catch (IOException e) {
                    // a driver going away meanwhile has no devices
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return List.copyOf(out);
    }

    /** Longest parameter value read (sysfs shows at most a page). */
    static final int MAX_PARAM = 4096;

    Map<String, String> parameters(String name) {
        Map<String, String> out = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(name).resolve("parameters"))) {
            for (Path p : ds) {
                try (java.io.InputStream in = Files.newInputStream(p)) {
                    // sysfs files all claim a page's size: read up to one, whatever the size says
                    String v = new String(in.readNBytes(MAX_PARAM), java.nio.charset.StandardCharsets.ISO_8859_1);
                    out.put(p.getFileName().toString(), v.endsWith("\n") ? v.substring(0, v.length() - 1) : v);
                } catch (IOException e) {
                    // write-only, or gone meanwhile: not shown
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }

    /** {@code /proc/modules} lines as written, empty when there is none. */
    List<String> procModulesLines() throws IOException {
        Path p = root.resolve("/proc/modules");
        return Files.exists(p) ? Files.readAllLines(p) : List.of();
    }

    List<LoadedModule> loadedModules() {
        List<LoadedModule> out = new ArrayList<>();
        try {
            for (String line : procModulesLines()) {
                LoadedModule m = LoadedModule.parse(line);
                if (m != null) {
                    out.add(m);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    /** Algorithms named by {@code /sys/module/compression}; empty if none. */
    Set<String> compression() {
        try {
            String s = Files.readString(root.resolve("/sys/module/compression")).strip();
            return s.isEmpty() ? Set.of() : Set.of(s.split("\\s+"));
        } catch (IOException e) {
            return Set.of();
        }
    }
}
