package org.lkmd.cli;

import org.lkmd.config.DaemonConfigLoader;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Severity;
import org.lkmd.modprobe.ConfigLint;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.rules.RuleSet;
import org.lkmd.rules.RulesLoader;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code lkmd verify}: lints the rules, modprobe.d and lkmd.toml under the root and prints every
 * diagnostic as {@code file:line: message}. Exit 0 when clean or only warnings, 1 on any error
 * (a file the daemon would refuse or a line it would skip as wrong). Needs no daemon.
 */
@Command(name = "verify", description = "Check rules, modprobe.d and lkmd.toml; exit non-zero on errors.")
public final class Verify extends Verb {
    @Override
    public Integer call() {
        String release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        List<Diagnostic> all = new ArrayList<>();
        boolean unusable = false;
        ParseResult<?> config = DaemonConfigLoader.load(root());
        ParseResult<RuleSet> rules = RulesLoader.load(root());
        ParseResult<ModprobeConfig> modprobe = ModprobeConfigLoader.load(root(), root().modulesDir(release), List.of());
        for (ParseResult<?> r : List.of(config, rules, modprobe)) {
            all.addAll(r.diagnostics());
            unusable |= r.value().isEmpty();
        }
        rules.value().ifPresent(r -> all.addAll(RulesLoader.noRulesWarning(r)));
        modprobe.value().ifPresent(m -> all.addAll(ModprobeConfigLoader.denyInKmodDirs(root(), m)));
        modprobe.value().ifPresent(m -> all.addAll(ConfigLint.lint(m,
                ModprobeConfigLoader.shipped(root(), root().modulesDir(release)))));
        long errors = all.stream().filter(d -> d.severity() == Severity.ERROR).count();
        for (Diagnostic d : all) {
            err().println(d + (d.severity() == Severity.ERROR ? "" : " (warning)"));
        }
        if (unusable && errors == 0) {
            errors = 1;
        }
        out().println("lkmd verify: " + errors + " errors, " + (all.size() - all.stream()
                .filter(d -> d.severity() == Severity.ERROR).count()) + " warnings");
        return errors > 0 ? 1 : 0;
    }
}
