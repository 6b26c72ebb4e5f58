package org.lkmd.depmod;

import org.lkmd.elf.KoFile;
import org.lkmd.elf.KoFileException;
import org.lkmd.elf.ModInfo;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads every module's exports, {@code .modinfo} and needed symbols, in parallel on a thread pool
 * (one thread per core): parsing 4,000 modules is depmod's main cost. Failures are reported
 * afterwards in module-array order, with kmod's wording, so messages are deterministic; a module
 * that cannot be read stays in the index with nothing declared, as kmod keeps it.
 */
final class ModuleParser implements AutoCloseable {
    private record Result(List<String> exports, String exportError, ModInfo info, List<KoFile.DependencySymbol> deps,
                          List<String> aliases, List<String> softdeps) {
        Result(List<String> exports, String exportError, ModInfo info, List<KoFile.DependencySymbol> deps) {
            this(exports, exportError, info, deps, info == null ? List.of() : info.all("alias"),
                    info == null ? List.of() : info.all("softdep"));
        }
    }

    private final ExecutorService pool;
    private final java.util.Map<DepmodModule, Future<Result>> pending = new java.util.concurrent.ConcurrentHashMap<>();

    ModuleParser() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "depmod-parse");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reading a module as soon as it is found (the directory walk goes on meanwhile). */
    void submit(DepmodModule m) {
        pending.put(m, pool.submit(() -> parse(m)));
    }

    /** Waits for the modules' results and reports failures in array order. */
    void collect(List<DepmodModule> modules, DepmodLog log) throws InterruptedException {
        for (DepmodModule m : modules) {
            Future<Result> f = pending.get(m);
            if (f == null) {
                submit(m);
                f = pending.get(m);
            }
            Result r;
            try {
                r = f.get();
            } catch (ExecutionException e) {
                r = new Result(List.of(), String.valueOf(e.getCause()), null, List.of());
            }
            if (r.exportError != null) {
                log.error("failed to load symbols from " + m.shown + ": " + r.exportError);
            }
            m.exports = r.exports;
            m.info = r.info;
            m.dependencySymbols = r.deps;
            m.aliases = r.aliases;
            m.softdeps = r.softdeps;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    private static Result parse(DepmodModule m) {
        try (KoFile ko = KoFile.open(m.path)) {
            return parse(ko);
        } catch (KoFileException e) {
            return new Result(List.of(), e.reason(), null, List.of());
        } catch (IOException e) {
            return new Result(List.of(), ModuleScanner.reason(e), null, List.of());
        }
    }

    private static Result parse(KoFile ko) {
        List<String> exports = List.of();
        String exportError = null;
        try {
            exports = ko.exportedSymbols();
        } catch (KoFileException e) {
            if (!KoFileException.ENOENT.equals(e.reason())) {
                exportError = e.reason();
            }
        }
        ModInfo info = null;
        try {
            info = ko.modInfo();
        } catch (KoFileException e) {
            // kmod silently indexes nothing for a module without readable .modinfo
        }
        List<KoFile.DependencySymbol> deps = List.of();
        try {
            deps = ko.dependencySymbols();
        } catch (KoFileException e) {
            // likewise: no dependency symbols
        }
        return new Result(exports, exportError, info, deps);
    }
}
