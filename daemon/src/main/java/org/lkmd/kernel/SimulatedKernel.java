package org.lkmd.kernel;

import org.lkmd.base.ModuleNames;
import org.lkmd.base.Root;
import org.lkmd.elf.Compression;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A kernel over a fake root that behaves like the real one where lkmd can tell: a load whose
 * dependencies ({@code depends=} in the image's {@code .modinfo}) are not live fails with ENOENT
 * (unknown symbol), a second load of a live module gets EEXIST, and a successful load writes
 * {@code sys/module/<name>/{initstate,refcnt,parameters/*,holders/}} and a {@code /proc/modules}
 * line under the root. Unloading reverses it, refusing with EAGAIN while the module is in use.
 *
 * <p>The module's name comes from {@code name=} in its {@code .modinfo}, as the kernel takes it
 * from the image; an image without one (a test placeholder) is named after its file.
 * Thread-safe: every call holds the instance lock, as the kernel's module_mutex does.
 */
public final class SimulatedKernel implements Kernel {
    /** Where module state lives ({@code sys/module}, {@code proc/modules}): the root, or a state directory. */
    private final Root root;
    private final SysfsModules sysfs;
    private final String release;
    private final Map<String, Errno> failing;
    private final Set<String> compression;
    private final java.util.function.Consumer<Path> beforeFinit;
    private final List<String> loadOrder = new ArrayList<>();
    private final List<String> unloadOrder = new ArrayList<>();

    private SimulatedKernel(Builder b) {
        this.root = b.stateDir != null ? Root.of(b.stateDir) : b.root;
        this.sysfs = new SysfsModules(this.root);
        this.release = b.release;
        this.failing = Map.copyOf(b.failing);
        this.beforeFinit = b.beforeFinit;
        this.compression = b.compression != null ? Set.copyOf(b.compression) : new SysfsModules(b.root).compression();
    }

    public static Builder on(Root root) {
        return new Builder(root);
    }

    public static Builder on(Path root) {
        return new Builder(Root.of(root));
    }

    /** Builds a {@link SimulatedKernel}. */
    public static final class Builder {
        private final Root root;
        private String release = "6.1.0-test";
        private final Map<String, Errno> failing = new HashMap<>();
        private Set<String> compression;
        private java.nio.file.Path stateDir;
        private java.util.function.Consumer<Path> beforeFinit = ko -> { };

        private Builder(Root root) {
            this.root = root;
        }

        public Builder release(String release) {
            this.release = release;
            return this;
        }

        /** Every load of this module fails with the errno. */
        public Builder failing(String module, Errno errno) {
            failing.put(ModuleNames.normalizeName(module), errno);
            return this;
        }

        /** In-kernel decompression support, instead of reading {@code sys/module/compression}. */
        public Builder compression(String... algorithms) {
            compression = new LinkedHashSet<>(Arrays.asList(algorithms));
            return this;
        }

        /**
         * Keep module state under this directory instead of the root: for simulating on a real
         * system, whose {@code /sys} cannot take the files a load writes.
         */
        public Builder stateDir(java.nio.file.Path dir) {
            this.stateDir = dir;
            return this;
        }

        /**
         * Called with the file at each {@code finit_module}, before the kernel takes its lock, as a
         * module's init runs while its load is in flight: a test can count calls, or block (or
         * make a nested request) inside one load while other loads go on.
         */
        public Builder beforeFinit(java.util.function.Consumer<Path> hook) {
            this.beforeFinit = hook;
            return this;
        }

        public SimulatedKernel build() {
            return new SimulatedKernel(this);
        }
    }

    @Override
    public String release() {
        return release;
    }

    /** The module names loaded so far, in order. */
    public synchronized List<String> loadOrder() {
        return List.copyOf(loadOrder);
    }

    /** The module names unloaded so far, in order. */
    public synchronized List<String> unloadOrder() {
        return List.copyOf(unloadOrder);
    }

    @Override
    public void finitModule(Path ko, String params, int flags) throws KernelException {
        beforeFinit.accept(ko);
        finitLocked(ko, params, flags);
    }

    private synchronized void finitLocked(Path ko, String params, int flags) throws KernelException {
        String call = "finit_module(" + ko + ")";
        byte[] data;
        try {
            data = Files.readAllBytes(ko);
        } catch (IOException e) {
            throw new KernelException(Errno.ENOENT, call);
        }
        Compression c = Compression.detect(data);
        if (c != Compression.NONE) {
            if ((flags & MODULE_INIT_COMPRESSED_FILE) == 0 || !compression.contains(c.kernelName())) {
                throw new KernelException(Errno.ENOEXEC, call);
            }
            try {
                data = c.decompress(data);
            } catch (IOException e) {
                throw new KernelException(Errno.EINVAL, call);
            }
        } else if ((flags & MODULE_INIT_COMPRESSED_FILE) != 0) {
            throw new KernelException(Errno.EINVAL, call);
        }
        load(data, fileModuleName(ko), params, call);
    }

    @Override
    public synchronized void initModule(ByteBuffer image, String params) throws KernelException {
        byte[] data = new byte[image.remaining()];
        image.duplicate().get(data);
        load(data, null, params, "init_module");
    }

    private void load(byte[] image, String fallbackName, String params, String call) throws KernelException {
        Map<String, List<String>> info = modinfo(image);
        String name = info.containsKey("name") ? ModuleNames.normalizeName(info.get("name").get(0)) : fallbackName;
        if (name == null) {
            throw new KernelException(Errno.ENOEXEC, call);
        }
        Errno fail = failing.get(name);
        if (fail != null) {
            throw new KernelException(fail, call);
        }
        ModuleState st = state(name);
        if (st == ModuleState.LIVE || st == ModuleState.COMING || st == ModuleState.BUILTIN) {
            throw new KernelException(Errno.EEXIST, call);
        }
        List<String> deps = new ArrayList<>();
        for (String d : info.getOrDefault("depends", List.of())) {
            for (String part : d.split(",")) {
                if (!part.isEmpty()) {
                    deps.add(ModuleNames.normalizeName(part));
                }
            }
        }
        for (String d : deps) {
            ModuleState ds = state(d);
            if (ds != ModuleState.LIVE && ds != ModuleState.BUILTIN) {
                throw new KernelException(Errno.ENOENT, call); // "Unknown symbol in module"
            }
        }
        Map<String, String> parsed = parseParams(params);
        try {
            Path dir = root.sysModule(name);
            Files.createDirectories(dir.resolve("holders"));
            Files.writeString(dir.resolve("refcnt"), "0\n");
            if (!parsed.isEmpty()) {
                Files.createDirectories(dir.resolve("parameters"));
                for (Map.Entry<String, String> p : parsed.entrySet()) {
                    Files.writeString(dir.resolve("parameters").resolve(p.getKey()), p.getValue() + "\n");
                }
            }
            for (String d : deps) {
                Path dd = root.sysModule(d);
                if (Files.exists(dd.resolve("refcnt"))) {
                    Files.writeString(dd.resolve("refcnt"), (refcount(d) + 1) + "\n");
                    Files.createDirectories(dd.resolve("holders"));
                    Files.writeString(dd.resolve("holders").resolve(name), "");
                }
            }
            Files.writeString(dir.resolve("initstate"), "live\n");
            writeProcModules(name, image.length, deps);
        } catch (IOException e) {
            throw new UncheckedIOException("simulated kernel cannot write under " + root, e);
        }
        loadOrder.add(name);
    }

    @Override
    public synchronized void deleteModule(String name, int flags) throws KernelException {
        String n = ModuleNames.normalizeName(name);
        String call = "delete_module(" + n + ")";
        ModuleState st = state(n);
        if (st == ModuleState.BUILTIN || st == ModuleState.ABSENT) {
            throw new KernelException(Errno.ENOENT, call);
        }
        if (refcount(n) > 0 && (flags & O_TRUNC) == 0) {
            throw new KernelException(Errno.EAGAIN, call);
        }
        try {
            List<String> procs = readProcModules();
            List<String> deps = List.of();
            List<String> kept = new ArrayList<>();
            for (String line : procs) {
                LoadedModule m = LoadedModule.parse(line);
                if (m != null && m.name().equals(n)) {
                    continue;
                }
                kept.add(line);
            }
            deps = dependenciesOf(procs, n);
            for (String d : deps) {
                Path dd = root.sysModule(d);
                if (Files.exists(dd.resolve("refcnt"))) {
                    Files.writeString(dd.resolve("refcnt"), Math.max(0, refcount(d) - 1) + "\n");
                    Files.deleteIfExists(dd.resolve("holders").resolve(n));
                }
            }
            List<String> rewritten = new ArrayList<>();
            for (String line : kept) {
                LoadedModule m = LoadedModule.parse(line);
                if (m == null) {
                    rewritten.add(line);
                    continue;
                }
                List<String> users = new ArrayList<>(m.usedBy());
                boolean changed = users.remove(n);
                rewritten.add(changed ? new LoadedModule(m.name(), m.size(), Math.max(0, m.refcount() - 1),
                        users, m.state()).toProcLine() : line);
            }
            writeLines(root.resolve("/proc/modules"), rewritten);
            deleteTree(root.sysModule(n));
        } catch (IOException e) {
            throw new UncheckedIOException("simulated kernel cannot write under " + root, e);
        }
        unloadOrder.add(n);
    }

    @Override
    public ModuleState state(String name) {
        return sysfs.state(name);
    }

    @Override
    public int refcount(String name) {
        return sysfs.refcount(name);
    }

    @Override
    public List<String> holders(String name) {
        return sysfs.holders(name);
    }

    @Override
    public List<String> boundDevices(String name) {
        return sysfs.boundDevices(name);
    }

    @Override
    public Map<String, String> parameters(String name) {
        return sysfs.parameters(name);
    }

    @Override
    public List<LoadedModule> loadedModules() {
        return sysfs.loadedModules();
    }

    @Override
    public Set<String> compressionAlgorithms() {
        return compression;
    }

    private List<String> readProcModules() throws IOException {
        return sysfs.procModulesLines();
    }

    private static List<String> dependenciesOf(List<String> procLines, String name) {
        List<String> out = new ArrayList<>();
        for (String line : procLines) {
            LoadedModule m = LoadedModule.parse(line);
            if (m != null && m.usedBy().contains(name)) {
                out.add(m.name());
            }
        }
        return out;
    }

    private void writeProcModules(String name, long size, List<String> deps) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(new LoadedModule(name, size, 0, List.of(), "Live").toProcLine());
        for (String line : readProcModules()) {
            LoadedModule m = LoadedModule.parse(line);
            if (m != null && deps.contains(m.name())) {
                List<String> users = new ArrayList<>(m.usedBy());
                users.add(name);
                lines.add(new LoadedModule(m.name(), m.size(), m.refcount() + 1, users, m.state()).toProcLine());
            } else {
                lines.add(line);
            }
        }
        writeLines(root.resolve("/proc/modules"), lines);
    }

    private static void writeLines(Path p, List<String> lines) throws IOException {
        Files.createDirectories(p.getParent());
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        Files.writeString(p, sb.toString());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(walk.toList());
            Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Parses {@code a=1 b="x y" c} into parameters; a bare flag shows as {@code Y}, as the kernel's bools do. */
    static Map<String, String> parseParams(String params) {
        Map<String, String> out = ParamArgs.parse(params);
        out.replaceAll((k, v) -> v == null ? "Y" : v);
        return out;
    }

    /** Reads the {@code key=value} records of an image's {@code .modinfo}-like NUL-separated strings. */
    private static Map<String, List<String>> modinfo(byte[] image) {
        Map<String, List<String>> out = new HashMap<>();
        for (String key : List.of("name", "depends")) {
            byte[] needle = (key + "=").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i + needle.length <= image.length; i++) {
                if ((i == 0 || image[i - 1] == 0) && matches(image, i, needle)) {
                    int start = i + needle.length;
                    int end = start;
                    while (end < image.length && image[end] != 0) {
                        end++;
                    }
                    out.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(new String(image, start, end - start, StandardCharsets.US_ASCII));
                    break;
                }
            }
        }
        return out;
    }

    private static boolean matches(byte[] a, int at, byte[] needle) {
        for (int j = 0; j < needle.length; j++) {
            if (a[at + j] != needle[j]) {
                return false;
            }
        }
        return true;
    }

    private static String fileModuleName(Path ko) {
        return ModuleNames.fromPath(ko.toString());
    }
}
