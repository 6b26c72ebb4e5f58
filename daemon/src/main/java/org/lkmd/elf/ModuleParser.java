package org.lkmd.elf;

import java.io.IOException;
import java.util.ArrayList;
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
final class ModuleParser {
    private ModuleParser() {
    }

    private record Result(List<String> exports, String exportError, ModInfo info, List<KoFile.DependencySymbol> deps) {
    }

    static void parseAll(List<DepmodModule> modules, DepmodLog log) throws InterruptedException {
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), modules.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "depmod-parse");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Result>> futures = new ArrayList<>(modules.size());
            for (DepmodModule m : modules) {
                futures.add(pool.submit(() -> parse(m)));
            }
            for (int i = 0; i < modules.size(); i++) {
                DepmodModule m = modules.get(i);
                Result r;
                try {
                    r = futures.get(i).get();
                } catch (ExecutionException e) {
                    r = new Result(List.of(), String.valueOf(e.getCause()), null, List.of());
                }
                if (r.exportError != null) {
                    log.error("failed to load symbols from " + m.path + ": " + r.exportError);
                }
                m.exports = r.exports;
                m.info = r.info;
                m.dependencySymbols = r.deps;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Result parse(DepmodModule m) {
        KoFile ko;
        try {
            ko = KoFile.open(m.path);
        } catch (KoFileException e) {
            return new Result(List.of(), e.reason(), null, List.of());
        } catch (IOException e) {
            return new Result(List.of(), ModuleScanner.reason(e), null, List.of());
        }
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
