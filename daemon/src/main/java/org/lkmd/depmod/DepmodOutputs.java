package org.lkmd.depmod;

import org.lkmd.elf.BuiltinModinfo;
import org.lkmd.base.ModuleNames;
import org.lkmd.index.BinIndexWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The contents of every file kmod 30's depmod writes, in its order and formats: {@code modules.dep}
 * ({@code PATH: DEP DEP...}), {@code .alias}, {@code .softdep}, {@code .symbols} and
 * {@code .devname} text files with their one-line headers, and the {@code .bin} tries (see
 * {@link BinIndexWriter}) keyed by module name, normalized alias, {@code symbol:NAME}, builtin
 * module name and builtin alias, with the module's array index as priority.
 *
 * <p>{@code modules.weakdep} (kmod 33's file: its header, then {@code weakdep MODULE VALUE} for
 * each {@code weakdep=} of a module's {@code .modinfo}, between {@code .softdep} and
 * {@code .symbols}) is written only when a module declares a weak dependency or the file is there
 * already: kmod 30 writes no such file, and a tree without weak dependencies gets kmod 30's files
 * byte for byte.
 */
final class DepmodOutputs {
    private static final Pattern CHAR_MAJOR = Pattern.compile("^char-major-(\\d+)-(\\d+)");
    private static final Pattern BLOCK_MAJOR = Pattern.compile("^block-major-(\\d+)-(\\d+)");

    private final List<DepmodModule> modules;
    private final DependencyGraph graph;
    private final Path moduleDir;
    private final String dirname;
    private final DepmodLog log;
    private final boolean warnDups;

    DepmodOutputs(List<DepmodModule> modules, DependencyGraph graph, Path moduleDir, String dirname, DepmodLog log,
                  boolean warnDups) {
        this.dirname = dirname;
        this.modules = modules;
        this.graph = graph;
        this.moduleDir = moduleDir;
        this.log = log;
        this.warnDups = warnDups;
    }

    /**
     * Every output file, by name, in writing order.
     *
     * @param binaries false for {@code -n}: the {@code .bin} files are left out
     * @param weakdepFileExists {@code modules.weakdep} is in the output directory (it is then kept
     *                          up to date even when no module declares a weak dependency any more)
     */
    Map<String, byte[]> build(boolean binaries, boolean weakdepFileExists) throws InterruptedException {
        // The files are independent: build them on all cores (the shared inputs, dependency lines
        // and symbol order, as early tasks of their own), then report their messages in kmod's
        // file order so stderr stays deterministic.
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            CompletableFuture<Map<String, String>> depLines = CompletableFuture.supplyAsync(this::depLines, pool);
            CompletableFuture<Map<String, DepmodModule>> owned = CompletableFuture.supplyAsync(graph::ownedSymbols, pool);
            CompletableFuture<List<String>> symbolOrder = owned.thenApplyAsync(
                    o -> KmodHash.iterationOrder(o.keySet(), 2048), pool);
            Map<String, CompletableFuture<byte[]>> jobs = new LinkedHashMap<>();
            Map<String, DepmodLog> logs = new LinkedHashMap<>();
            java.util.function.Function<String, DepmodLog> logFor = name -> logs.computeIfAbsent(name, n -> log.buffered());
            jobs.put("modules.dep", depLines.thenApplyAsync(d -> latin1(String.join("", d.values())), pool));
            if (binaries) {
                DepmodLog l = logFor.apply("modules.dep.bin");
                jobs.put("modules.dep.bin", depLines.thenApplyAsync(d -> depBin(d, l), pool));
            }
            jobs.put("modules.alias", CompletableFuture.supplyAsync(this::aliases, pool));
            if (binaries) {
                DepmodLog l = logFor.apply("modules.alias.bin");
                jobs.put("modules.alias.bin", CompletableFuture.supplyAsync(() -> aliasBin(l), pool));
            }
            jobs.put("modules.softdep", CompletableFuture.supplyAsync(
                    () -> keyLines("softdep", "# Soft dependencies extracted from modules themselves.\n"), pool));
            if (weakdepFileExists || modules.stream().anyMatch(m -> !m.infoValues("weakdep").isEmpty())) {
                jobs.put("modules.weakdep", CompletableFuture.supplyAsync(
                        () -> keyLines("weakdep", "# Weak dependencies extracted from modules themselves.\n"), pool));
            }
            jobs.put("modules.symbols", symbolOrder.thenCombineAsync(owned, DepmodOutputs::symbols, pool));
            if (binaries) {
                DepmodLog l = logFor.apply("modules.symbols.bin");
                jobs.put("modules.symbols.bin", symbolOrder.thenCombineAsync(owned, (s, o) -> symbolsBin(s, o, l), pool));
                DepmodLog lb = logFor.apply("modules.builtin.bin");
                jobs.put("modules.builtin.bin", CompletableFuture.supplyAsync(() -> builtinBin(lb), pool));
                DepmodLog la = logFor.apply("modules.builtin.alias.bin");
                jobs.put("modules.builtin.alias.bin", CompletableFuture.supplyAsync(() -> builtinAliasBin(la), pool));
            }
            jobs.put("modules.devname", CompletableFuture.supplyAsync(this::devname, pool));
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (var f : jobs.entrySet()) {
                try {
                    out.put(f.getKey(), f.getValue().get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException("Failed to build " + f.getKey() + ": " + e.getCause(), e.getCause());
                }
                DepmodLog l = logs.get(f.getKey());
                if (l != null) {
                    l.flushTo(log);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Module name to its {@code modules.dep} line (with newline), in array order. */
    private Map<String, String> depLines() {
        Map<String, String> lines = new LinkedHashMap<>();
        for (DepmodModule m : modules) {
            StringBuilder sb = new StringBuilder(m.depPath()).append(':');
            for (DepmodModule d : DependencyGraph.allSortedDependencies(m)) {
                sb.append(' ').append(d.depPath());
            }
            lines.put(m.name, sb.append('\n').toString());
        }
        return lines;
    }

    private byte[] depBin(Map<String, String> depLines, DepmodLog log) {
        BinIndexWriter w = new BinIndexWriter();
        for (DepmodModule m : modules) {
            String line = depLines.get(m.name);
            line = line.substring(0, line.length() - 1);
            if (w.insert(m.name, line, m.idx) && warnDups) {
                log.warn("duplicate module deps:\n" + line);
            }
        }
        return w.toBytes();
    }

    private byte[] aliases() {
        StringBuilder sb = new StringBuilder("# Aliases extracted from modules themselves.\n");
        for (DepmodModule m : modules) {
            for (String a : m.infoValues("alias")) {
                sb.append("alias ").append(a).append(' ').append(m.name).append('\n');
            }
        }
        return latin1(sb.toString());
    }

    private byte[] aliasBin(DepmodLog log) {
        BinIndexWriter w = new BinIndexWriter();
        for (DepmodModule m : modules) {
            for (String a : m.infoValues("alias")) {
                String n = ModuleNames.normalizeAlias(a).orElse(null);
                if (n == null) {
                    log.warn("Unmatched bracket in " + a);
                    continue;
                }
                if (w.insert(n, m.name, m.idx) && warnDups) {
                    log.warn("duplicate module alias:\n" + n + " " + m.name);
                }
            }
        }
        return w.toBytes();
    }

    /** {@code modules.softdep} or {@code .weakdep}: the header, then {@code KEY MODULE VALUE} per {@code .modinfo} value. */
    private byte[] keyLines(String key, String header) {
        StringBuilder sb = new StringBuilder(header);
        for (DepmodModule m : modules) {
            for (String s : m.infoValues(key)) {
                sb.append(key).append(' ').append(m.name).append(' ').append(s).append('\n');
            }
        }
        return latin1(sb.toString());
    }

    private static byte[] symbols(List<String> order, Map<String, DepmodModule> owned) {
        StringBuilder sb = new StringBuilder("# Aliases for symbols, used by symbol_request().\n");
        for (String s : order) {
            sb.append("alias symbol:").append(s).append(' ').append(owned.get(s).name).append('\n');
        }
        return latin1(sb.toString());
    }

    private byte[] symbolsBin(List<String> order, Map<String, DepmodModule> owned, DepmodLog log) {
        BinIndexWriter w = new BinIndexWriter();
        for (String s : order) {
            DepmodModule o = owned.get(s);
            if (w.insert("symbol:" + s, o.name, o.idx) && warnDups) {
                log.warn("duplicate module syms:\nsymbol:" + s + " " + o.name);
            }
        }
        return w.toBytes();
    }

    private byte[] readOrWarn(String name, DepmodLog log) {
        try {
            return Files.readAllBytes(moduleDir.resolve(name));
        } catch (NoSuchFileException e) {
            log.warn("could not open " + name + " at " + dirname + ": No such file or directory");
        } catch (IOException e) {
            log.warn("could not open " + name + " at " + dirname + ": " + ModuleScanner.reason(e));
        }
        return null;
    }

    private byte[] builtinBin(DepmodLog log) {
        byte[] data = readOrWarn("modules.builtin", log);
        if (data == null) {
            return new byte[0];
        }
        BinIndexWriter w = new BinIndexWriter();
        String text = latin1String(data);
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            String line = nl < 0 ? text.substring(start) : text.substring(start, nl + 1);
            start = nl < 0 ? text.length() : nl + 1;
            if (line.isEmpty() || !Character.isLetter(line.charAt(0)) || line.charAt(0) > 'z') {
                log.error("Invalid modules.builtin line: " + line);
                continue;
            }
            w.insert(ModuleNames.fromPath(line), "", 0);
        }
        return w.toBytes();
    }

    private byte[] builtinAliasBin(DepmodLog log) {
        byte[] data = readOrWarn("modules.builtin.modinfo", log);
        if (data == null) {
            return new byte[0];
        }
        BuiltinModinfo bm = BuiltinModinfo.parse(data);
        List<String> names = bm.moduleNames();
        if (names.isEmpty()) {
            return new byte[0];
        }
        BinIndexWriter w = new BinIndexWriter();
        for (String mod : names) {
            for (String a : bm.info(mod).all("alias")) {
                String n = ModuleNames.normalizeAlias(a).orElse(null);
                if (n == null) {
                    log.warn("Unmatched bracket in " + a);
                    continue;
                }
                w.insert(n, mod, 0);
            }
        }
        return w.toBytes();
    }

    private byte[] devname() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean header = false;
        for (DepmodModule m : modules) {
            String devname = null;
            char type = 0;
            long major = 0;
            long minor = 0;
            for (String a : m.infoValues("alias")) {
                Matcher cm;
                if (a.startsWith("devname:")) {
                    devname = a.substring("devname:".length());
                } else if (a.startsWith("char-major-") && (cm = CHAR_MAJOR.matcher(a)).find()) {
                    type = 'c';
                    major = unsigned(cm.group(1));
                    minor = unsigned(cm.group(2));
                } else if (a.startsWith("block-major-") && (cm = BLOCK_MAJOR.matcher(a)).find()) {
                    type = 'b';
                    major = unsigned(cm.group(1));
                    minor = unsigned(cm.group(2));
                }
                if (type != 0 && devname != null) {
                    if (!header) {
                        out.writeBytes(latin1("# Device nodes to trigger on-demand module loading.\n"));
                        header = true;
                    }
                    out.writeBytes(latin1(m.name + " " + devname + " " + type + major + ":" + minor + "\n"));
                    break;
                }
            }
        }
        return out.toByteArray();
    }

    /** sscanf's %u: the value modulo 2^32. */
    private static long unsigned(String digits) {
        return new java.math.BigInteger(digits).mod(java.math.BigInteger.ONE.shiftLeft(32)).longValue();
    }

    private static String latin1String(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
