package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.config.DaemonConfigLoader;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.index.DepEntry;
import org.lkmd.index.ModuleIndex;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.rules.RuleSet;
import org.lkmd.rules.RulesLoader;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds a {@link Snapshot} from the files under a root. The snapshot fails (empty result, the
 * caller keeps the one it has) when the daemon config is invalid, the rules cannot be read as a
 * set, or, unless {@code allowNoIndex}, the module index cannot be read. Bad lines inside a file
 * never fail it: they are reported and skipped.
 */
public final class SnapshotLoader {
    private static final Logger log = LoggerFactory.getLogger(SnapshotLoader.class);

    private final Root root;
    private final String release;
    private final Clock clock;
    private final Path configFile;
    private final boolean configRequired;

    /** Reads the daemon config from {@code /etc/lkmd/lkmd.toml} under the root, defaults when missing. */
    public SnapshotLoader(Root root, String release, Clock clock) {
        this(root, release, clock, root.resolve(DaemonConfigLoader.PATH), false);
    }

    private SnapshotLoader(Root root, String release, Clock clock, Path configFile, boolean configRequired) {
        this.root = root;
        this.release = release;
        this.clock = clock;
        this.configFile = configFile;
        this.configRequired = configRequired;
    }

    /** The same loader reading the daemon config from {@code file}, which must exist ({@code --config}). */
    public SnapshotLoader withConfigFile(Path file) {
        return new SnapshotLoader(root, release, clock, file, true);
    }

    public Path configFile() {
        return configFile;
    }

    public String release() {
        return release;
    }

    public Path modulesDir() {
        return root.modulesDir(release);
    }

    /**
     * @param generation   the new snapshot's generation
     * @param allowNoIndex at start: run with an empty index (nothing loads, every load says why)
     *                     rather than not at all
     */
    public ParseResult<Snapshot> load(long generation, boolean allowNoIndex) {
        return load(generation, allowNoIndex, config());
    }

    /** The daemon config alone, as the next {@link #load} would read it. */
    public ParseResult<DaemonConfig> config() {
        return DaemonConfigLoader.load(configFile, configRequired);
    }

    /** As {@link #load(long, boolean)}, with the daemon config already read by {@link #config()}. */
    public ParseResult<Snapshot> load(long generation, boolean allowNoIndex, ParseResult<DaemonConfig> config) {
        List<Diagnostic> diags = new ArrayList<>();
        diags.addAll(config.diagnostics());
        long t0 = System.nanoTime();
        ParseResult<RuleSet> rules = RulesLoader.load(root);
        diags.addAll(rules.diagnostics());
        rules.value().ifPresent(r -> diags.addAll(RulesLoader.noRulesWarning(r)));
        long t1 = System.nanoTime();
        Path modulesDir = modulesDir();
        ModprobeInputs inputs = ModprobeInputs.of(root, modulesDir); // before reading them: a change meanwhile shows
        ParseResult<ModprobeConfig> modprobe = ModprobeConfigLoader.load(root, modulesDir, List.of());
        diags.addAll(modprobe.diagnostics());
        modprobe.value().ifPresent(m -> diags.addAll(ModprobeConfigLoader.denyInKmodDirs(root, m)));
        long t2 = System.nanoTime();
        ParseResult<ModuleIndex> index = new ModuleIndexLoader().load(modulesDir);
        diags.addAll(index.diagnostics());
        if (log.isDebugEnabled()) {
            log.debug("Read rules in {} ms, modprobe.d in {} ms, the module index in {} ms", (t1 - t0) / 1_000_000,
                    (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
        }
        Optional<ModuleIndex> idx = index.value();
        if (idx.isEmpty() && allowNoIndex) {
            idx = Optional.of(new EmptyIndex(modulesDir));
        }
        if (config.value().isEmpty() || rules.value().isEmpty() || modprobe.value().isEmpty() || idx.isEmpty()) {
            return ParseResult.failed(diags);
        }
        return ParseResult.of(new Snapshot(generation, clock.instant(), config.value().get(), rules.value().get(),
                modprobe.value().get(), idx.get(), modulesDir, release, inputs, diags), diags);
    }

    /** An index that knows no module: the daemon runs, and every load reports "not found". */
    private record EmptyIndex(Path modulesDir) implements ModuleIndex {
        @Override
        public Optional<DepEntry> dep(String moduleName) {
            return Optional.empty();
        }

        @Override
        public List<String> aliases(String alias) {
            return List.of();
        }

        @Override
        public List<String> symbols(String symbolKey) {
            return List.of();
        }

        @Override
        public boolean builtin(String moduleName) {
            return false;
        }

        @Override
        public List<String> builtinAliases(String alias) {
            return List.of();
        }

        @Override
        public void dumpAliases(Appendable out) {
        }

        @Override
        public void dumpSymbols(Appendable out) {
        }
    }
}
