package org.lkmd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.lkmd.base.Root;
import org.lkmd.index.ModuleIndex;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.index.TextIndexReader;
import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.rules.KmodBuiltin;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RuleSet;
import org.lkmd.rules.RulesEngine;
import org.lkmd.rules.RulesParser;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.Uevent;
import org.lkmd.uevent.UeventParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One kernel uevent through what the daemon does with it, short of loading: the datagram is
 * parsed ({@link UeventParser}), run through the shipped rules ({@code rules/80-lkmd-drivers.rules},
 * {@link RulesEngine}, the device looked up in the real /sys), and each {@code kmod load} turned
 * into a {@link LoadPlan} over the real module index and modprobe.d ({@link ResolveContext}, a new
 * one per event as {@code EventHandler} makes).
 *
 * <p>The corpus is kernel wire-format {@code add} datagrams: one per device of this machine that
 * has a MODALIAS (properties as its sysfs {@code uevent} file lists them), then one per
 * {@code modules.alias} pattern made concrete (every {@code step}-th), as a device of that bus
 * would announce it. Run by tests/bench/pipeline.sh; the score is events per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EventPipelineBench {

    /** The module tree; empty: the first under /lib/modules. */
    @Param("")
    public String modulesDir;

    /** The rules file (the repository's rules/80-lkmd-drivers.rules). */
    @Param("rules/80-lkmd-drivers.rules")
    public String rulesFile;

    /** Take every step-th modules.alias pattern. */
    @Param("10")
    public int step;

    private final UeventParser parser = new UeventParser();
    private RulesEngine engine;
    private RuleSet rules;
    private ModprobeConfig config;
    private ModuleIndex index;
    private Path dir;
    private Root sys;
    private byte[][] corpus;
    private int next;

    @Setup
    public void setup() throws IOException {
        dir = modulesDir(modulesDir);
        sys = Root.system();
        index = new ModuleIndexLoader().load(dir).value().orElseThrow();
        config = ModprobeConfigLoader.load(sys, dir, List.of()).value().orElseThrow();
        rules = RulesParser.parse(rulesFile, Files.readString(Path.of(rulesFile), StandardCharsets.ISO_8859_1))
                .value().orElseThrow();
        engine = new RulesEngine(sys, (argv, env) -> Optional.empty());
        corpus = corpus(dir, step).toArray(new byte[0][]);
        int plans = 0;
        for (byte[] d : corpus) {
            plans += handle(d);
        }
        System.out.printf("%ncorpus: %d datagrams, %d load plans in one pass%n", corpus.length, plans);
    }

    @Benchmark
    public int event() {
        byte[] d = corpus[next];
        next = next + 1 == corpus.length ? 0 : next + 1;
        return handle(d);
    }

    /** Parse, rules, plan: returns the number of load plans made. */
    int handle(byte[] datagram) {
        UeventParser.Result r = parser.parse(datagram, 0, datagram.length);
        if (!r.accepted()) {
            return 0;
        }
        Uevent e = r.event();
        RuleOutcome ro = engine.run(rules, e, SysfsDevice.of(sys, e.devpath()));
        int plans = 0;
        ResolveContext ctx = null;
        for (KmodBuiltin k : ro.kmodLoads()) {
            for (String q : k.queries(ro.env())) {
                if (ctx == null) {
                    ctx = new ResolveContext(config, index, dir);
                }
                // a name libkmod refuses stands for no module, as in EventHandler
                for (ModuleRef m : ctx.find(q)) {
                    LoadPlan p = ctx.plan(m, q, null, false, n -> false);
                    plans += p.steps().isEmpty() ? 0 : 1;
                }
            }
        }
        return plans;
    }

    static Path modulesDir(String given) throws IOException {
        if (!given.isEmpty()) {
            return Path.of(given);
        }
        return org.lkmd.it.RealTree.modulesDir();
    }

    static List<byte[]> corpus(Path modulesDir, int step) throws IOException {
        List<byte[]> out = new ArrayList<>();
        long seq = 1;
        for (Map.Entry<String, Map<String, String>> dev : sysfsDevices().entrySet()) {
            out.add(datagram(dev.getKey(), dev.getValue(), seq++));
        }
        String text = Files.readString(modulesDir.resolve("modules.alias"), StandardCharsets.ISO_8859_1);
        List<TextIndexReader.Entry> patterns = TextIndexReader.parseAliases(text);
        for (int i = 0; i < patterns.size(); i += step) {
            String modalias = AliasLookupBench.concrete(patterns.get(i).key());
            int colon = modalias.indexOf(':');
            if (colon < 1) {
                continue; // module-name style aliases (fs-vfat, char-major-...) come from request_module, not uevents
            }
            Map<String, String> props = new LinkedHashMap<>();
            props.put("SUBSYSTEM", modalias.substring(0, colon));
            props.put("MODALIAS", modalias);
            out.add(datagram("/devices/bench/dev" + i, props, seq++));
        }
        return out;
    }

    /** devpath to its uevent-file properties, for every device of this machine with a MODALIAS. */
    static Map<String, Map<String, String>> sysfsDevices() throws IOException {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        Path sysDevices = Path.of("/sys/devices");
        if (!Files.isDirectory(sysDevices)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(sysDevices, 12)) {
            files = s.filter(p -> p.getFileName() != null && p.getFileName().toString().equals("uevent"))
                    .sorted().toList();
        }
        for (Path f : files) {
            Map<String, String> props = new LinkedHashMap<>();
            try {
                for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        props.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
            } catch (IOException e) {
                continue; // unreadable uevent attribute: not a device we can replay
            }
            if (props.containsKey("MODALIAS")) {
                out.put("/" + Path.of("/sys").relativize(f.getParent()), props);
            }
        }
        return out;
    }

    /** The kernel's wire format: {@code add@DEVPATH}, then ACTION, DEVPATH, the device's properties, SEQNUM. */
    static byte[] datagram(String devpath, Map<String, String> props, long seq) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("ACTION", "add");
        all.put("DEVPATH", devpath);
        all.putAll(props);
        all.put("SEQNUM", Long.toString(seq));
        return UeventParser.encode(new Uevent("add", devpath, seq, all));
    }

    /**
     * {@code --cpu MODULES_DIR RULES_FILE STEP}: events per second of thread CPU time over whole
     * passes of the corpus, after warm-up passes. On a shared machine the JMH score counts the
     * time other processes hold the core; this figure does not.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4 || !args[0].equals("--cpu")) {
            throw new IllegalArgumentException("usage: --cpu MODULES_DIR RULES_FILE STEP");
        }
        EventPipelineBench b = new EventPipelineBench();
        b.modulesDir = args[1];
        b.rulesFile = args[2];
        b.step = Integer.parseInt(args[3]);
        b.setup();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        int sink = 0;
        for (int pass = 0; pass < 20; pass++) {
            for (byte[] d : b.corpus) {
                sink += b.handle(d);
            }
        }
        for (int round = 1; round <= 5; round++) {
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            int events = 0;
            for (int pass = 0; pass < 10; pass++) {
                for (byte[] d : b.corpus) {
                    sink += b.handle(d);
                    events++;
                }
            }
            double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
            double wall = (System.nanoTime() - wall0) / 1e9;
            System.out.printf("cpu round %d: %d events, %.0f events/CPU-s (%.1f us/event), %.0f events/wall-s%n",
                    round, events, events / cpu, cpu * 1e6 / events, events / wall);
        }
        System.out.println("(plans made: " + sink + ")");
    }
}
