package org.lkmd.depmod;

import org.lkmd.elf.ModuleFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * kmod 30's depmod: scan a module dir, read every module, compute dependencies, write the indexes.
 *
 * <p>Module array order (which drives every per-module file and every index priority): the
 * module-name hash table's iteration order ({@link KmodHash}, 512 buckets), then a stable sort
 * placing modules listed in {@code modules.order} first, in the order of their <em>last</em>
 * listing (kmod 30 lets a later line overwrite an earlier one). Files are written one by one
 * through a temporary file renamed over the target; a dependency cycle stops depmod before any
 * file is written.
 *
 * <p>Beyond kmod 30, from kmod 31 and 33: an output directory apart from the input ({@code -o}:
 * modules and {@code modules.order}, {@code modules.builtin}, {@code modules.builtin.modinfo} are
 * read from {@link Options#moduleDir}, the files written to {@link Options#outDir}, created with
 * its parents when missing), and {@code modules.weakdep} (see {@link DepmodOutputs}).
 */
public final class Depmod {

    /**
     * What to do.
     *
     * @param moduleDir    {@code BASEDIR/lib/modules/RELEASE}
     * @param dirname      the same dir spelled as kmod prints it (not normalized: {@code -b /} gives {@code //lib/...})
     * @param release      the kernel release (matched by depmod.d)
     * @param configPaths  depmod.d files or dirs, already resolved
     * @param symvers      {@code -E}: Module.symvers, or null
     * @param systemMap    {@code -F}: System.map, or null
     * @param printUnknown {@code -e}
     * @param toStdout     {@code -n}: print the text files instead of writing them
     * @param warnDups     {@code -w}
     * @param quick        {@code -A}: do nothing if modules.dep is newer than every module
     * @param symPrefix    {@code -P}: architecture symbol prefix, or 0
     * @param resolveUnderRoot maps an absolute config path (external dirs) to the real file
     * @param explicitModules module files given on the command line instead of a scan; empty for {@code -a}
     * @param outDir       where the files are written: {@code OUTDIR/lib/modules/RELEASE}, or {@code moduleDir}
     * @param outDirname   the same dir spelled as kmod prints it
     */
    public record Options(Path moduleDir, String dirname, Path outDir, String outDirname, String release,
                          List<Path> configPaths, Path symvers, Path systemMap,
                          boolean printUnknown, boolean toStdout, boolean warnDups, boolean quick, char symPrefix,
                          java.util.function.Function<String, Path> resolveUnderRoot,
                          List<Path> explicitModules) {
    }

    private final Options opt;
    private final DepmodLog log;
    private final PrintStream out;

    public Depmod(Options opt, DepmodLog log, PrintStream out) {
        this.opt = opt;
        this.log = log;
        this.out = out;
    }

    /** Runs depmod; returns the exit status (0 or 1). */
    public int run() throws IOException, InterruptedException {
        if (opt.quick() && !opt.toStdout() && upToDate()) {
            log.debug(opt.dirname() + "/modules.dep is up to date!");
            return 0;
        }
        DependencyGraph graph = new DependencyGraph(opt.symPrefix());
        Map<String, Long> kernelCrcs = null;
        boolean printUnknown = opt.printUnknown();
        if (opt.symvers() != null) {
            kernelCrcs = new HashMap<>();
            if (!KernelSymbols.loadSymvers(opt.symvers(), graph, kernelCrcs, log)) {
                log.fatal("could not load " + opt.symvers() + ": No such file or directory");
                return 1;
            }
        } else if (opt.systemMap() != null) {
            if (!KernelSymbols.loadSystemMap(opt.systemMap(), graph, log)) {
                log.fatal("could not load " + opt.systemMap() + ": No such file or directory");
                return 1;
            }
        } else if (printUnknown) {
            log.warn("-e needs -E or -F");
            printUnknown = false;
        }

        DepmodConfig cfg = DepmodConfig.load(opt.configPaths(), opt.release(), log);
        List<Path> externals = new ArrayList<>();
        for (String e : cfg.externals()) {
            externals.add(opt.resolveUnderRoot().apply(e));
        }
        try (ModuleParser parser = new ModuleParser()) {
            return run(graph, cfg, externals, parser, printUnknown, kernelCrcs);
        }
    }

    private int run(DependencyGraph graph, DepmodConfig cfg, List<Path> externals, ModuleParser parser,
                    boolean printUnknown, Map<String, Long> kernelCrcs) throws IOException, InterruptedException {
        Map<String, DepmodModule> found;
        try {
            ModuleScanner scanner = new ModuleScanner(opt.moduleDir(), opt.dirname(), cfg, log, parser::submit);
            found = opt.explicitModules().isEmpty() ? scanner.scan(externals) : scanner.only(opt.explicitModules());
        } catch (IOException e) {
            log.error("could not open directory " + opt.dirname() + ": " + ModuleScanner.reason(e));
            log.fatal("could not search modules: " + ModuleScanner.reason(e));
            return 1;
        }
        List<DepmodModule> modules = ModuleOrder.arrange(found, opt.moduleDir(), opt.dirname(), log);
        parser.collect(modules, log);

        graph.addExports(modules);
        graph.resolve(modules, printUnknown, kernelCrcs, log);
        int[] inCycles = new int[1];
        List<String> cycles = DependencyGraph.sort(modules, inCycles);
        if (inCycles[0] > 0 || !cycles.isEmpty()) {
            for (String c : cycles) {
                log.error("Cycle detected: " + c);
            }
            log.error("Found " + inCycles[0] + " modules in dependency cycles!");
            return 1;
        }

        Map<String, byte[]> files = new DepmodOutputs(modules, graph, opt.moduleDir(), opt.dirname(), log, opt.warnDups())
                .build(!opt.toStdout(), Files.exists(opt.outDir().resolve("modules.weakdep")));
        if (opt.toStdout()) {
            for (byte[] b : files.values()) {
                out.write(b);
            }
            out.flush();
            return 0;
        }
        try {
            Files.createDirectories(opt.outDir());
        } catch (IOException e) {
            log.fatal("could not create directory " + opt.outDirname() + ": " + ModuleScanner.reason(e));
            return 1;
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            writeAtomically(opt.outDir(), f.getKey(), f.getValue());
        }
        return 0;
    }

    /** Writes a file next to its target under a unique temporary name, then renames it over the target. */
    static void writeAtomically(Path dir, String name, byte[] data) throws IOException {
        long now = System.currentTimeMillis();
        Path tmp = dir.resolve(name + "." + ProcessHandle.current().pid() + "." + (now % 1000 * 1000) + "." + now / 1000);
        try {
            Files.write(tmp, data, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("Could not write index '" + name + "': " + ModuleScanner.reason(e), e);
        }
    }

    /** -A: true when modules.dep exists and no module file is newer. */
    private boolean upToDate() {
        Path dep = opt.moduleDir().resolve("modules.dep");
        try {
            FileTime t = Files.getLastModifiedTime(dep);
            return !newerModule(opt.moduleDir(), t.toMillis() / 1000);
        } catch (IOException e) {
            log.error("could not fstatat(" + opt.dirname() + ", modules.dep): " + ModuleScanner.reason(e));
            return false;
        }
    }

    private static boolean newerModule(Path dir, long mtime) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.equals("build") || n.equals("source")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    if (newerModule(p, mtime)) {
                        return true;
                    }
                } else if (ModuleFiles.isModuleFile(n) && Files.getLastModifiedTime(p).toMillis() / 1000 > mtime) {
                    return true;
                }
            }
        }
        return false;
    }

    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
