package org.lkmd.bench;

import org.lkmd.base.ModuleNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.lkmd.index.ModuleIndex;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.index.TextIndexReader;
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
 * {@link ModuleIndex#aliases} over every modules.alias pattern made concrete ('*' to nothing,
 * '?' to 'X', a bracket to its first member). Run by tests/bench/alias-lookup.sh next to the
 * same corpus through libkmod. {@code main --corpus DIR FILE} writes the corpus, one per line.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AliasLookupBench {

    @Param("")
    public String modulesDir;

    private ModuleIndex index;
    private String[] corpus;
    private int next;

    @Setup
    public void setup() throws IOException {
        Path dir = Path.of(modulesDir);
        index = new ModuleIndexLoader().load(dir).value().orElseThrow();
        corpus = corpus(dir).toArray(new String[0]);
        index.aliases(corpus[0]); // builds the matcher outside the measurement
    }

    @Benchmark
    public List<String> aliases() {
        String q = corpus[next];
        next = next + 1 == corpus.length ? 0 : next + 1;
        return index.aliases(q);
    }

    static List<String> corpus(Path dir) throws IOException {
        String text = new String(Files.readAllBytes(dir.resolve("modules.alias")), StandardCharsets.ISO_8859_1);
        Set<String> out = new LinkedHashSet<>();
        for (TextIndexReader.Entry e : TextIndexReader.parseAliases(text)) {
            ModuleNames.normalizeAlias(concrete(e.key())).ifPresent(out::add);
        }
        return new ArrayList<>(out);
    }

    static String concrete(String pattern) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                continue;
            }
            if (c == '?') {
                b.append('X');
            } else if (c == '[' && pattern.indexOf(']', i + 2) > 0) {
                char m = pattern.charAt(i + 1);
                b.append(m == '!' || m == '^' ? '~' : m);
                i = pattern.indexOf(']', i + 2);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 3 && args[0].equals("--corpus")) {
            Files.write(Path.of(args[2]), corpus(Path.of(args[1])), StandardCharsets.ISO_8859_1);
            return;
        }
        throw new IllegalArgumentException("usage: --corpus MODULES_DIR OUT_FILE");
    }
}
