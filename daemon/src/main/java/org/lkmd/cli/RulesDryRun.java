package org.lkmd.cli;

import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.daemon.Snapshot;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RulesEngine;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.Uevent;

import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The rules run without side effects that {@code lkmd test} and {@code lkmd info} share: the
 * snapshot as the daemon would load it, the rules engine over one device's event, and the
 * modules a {@code kmod load} query would resolve to.
 */
final class RulesDryRun {
    private final Snapshot snapshot;
    private final RuleOutcome outcome;

    private RulesDryRun(Snapshot snapshot, RuleOutcome outcome) {
        this.snapshot = snapshot;
        this.outcome = outcome;
    }

    /** Loads the snapshot (its diagnostics to {@code err}); empty when it is unusable. */
    static Optional<Snapshot> load(Root root, String releaseOption, PrintStream err) {
        String release = releaseOption != null ? releaseOption : Kernels.releaseOf(root);
        ParseResult<Snapshot> s = new SnapshotLoader(root, release, Clock.systemUTC()).load(0, true);
        s.diagnostics().forEach(err::println);
        return s.value();
    }

    /** Runs the snapshot's rules on {@code e}, reading the device's attributes under {@code root}. */
    static RulesDryRun run(Root root, Snapshot snapshot, Uevent e) {
        RulesEngine engine = new RulesEngine(root, ProcessProgramRunner.defaults());
        return new RulesDryRun(snapshot, engine.run(snapshot.rules(), e, SysfsDevice.of(root, e.devpath())));
    }

    RuleOutcome outcome() {
        return outcome;
    }

    List<String> ruleFiles() {
        return snapshot.rules().files();
    }

    ResolveContext newContext() {
        return snapshot.newContext();
    }

    /** What {@code kmod load q} would load: module names, "no module", or why the name is invalid. */
    static String resolve(ResolveContext ctx, String q) {
        try {
            List<ModuleRef> mods = ctx.lookup(q);
            return mods.isEmpty() ? "no module" : String.join(" ", mods.stream().map(ModuleRef::name).toList());
        } catch (ResolveContext.InvalidNameException ex) {
            return ex.getMessage();
        }
    }
}
