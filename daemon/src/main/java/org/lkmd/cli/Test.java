package org.lkmd.cli;

import org.lkmd.base.ParseResult;
import org.lkmd.daemon.Snapshot;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RulesEngine;
import org.lkmd.rules.RunEntry;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.DeviceUevent;
import org.lkmd.uevent.Uevent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code lkmd test DEVPATH}: runs the rules on the device's current uevent properties, as the
 * daemon would for an event with {@code --action}, and prints the rules that matched, the
 * resulting properties, the RUN list and the modules each {@code kmod load} would resolve to.
 * Loads nothing and runs no RUN program (PROGRAM matches do run, as in {@code udevadm test});
 * needs no daemon.
 */
@Command(name = "test", description = "Run the rules on a device's uevent properties without loading anything.")
public final class Test extends Verb {
    @Parameters(paramLabel = "DEVPATH", description = "/devices/... or /sys/devices/...")
    String devpath;

    @Option(names = {"-a", "--action"}, paramLabel = "ACTION", description = "The event's action (default add).")
    String action = "add";

    @Override
    public Integer call() {
        if (!Coldplug.ACTIONS.contains(action)) {
            err().println("lkmd test: unknown action '" + action + "'");
            return 2;
        }
        String release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        ParseResult<Snapshot> s = new SnapshotLoader(root(), release, Clock.systemUTC()).load(0, true);
        s.diagnostics().forEach(d -> err().println(d));
        if (s.value().isEmpty()) {
            err().println("lkmd test: configuration unusable (see above)");
            return 1;
        }
        Uevent e;
        try {
            e = DeviceUevent.read(root(), devpath, action);
        } catch (IOException ex) {
            err().println("lkmd test: " + ex.getMessage());
            return 1;
        }
        RulesEngine engine = new RulesEngine(root(), ProcessProgramRunner.defaults());
        RuleOutcome ro = engine.run(s.value().get().rules(), e, SysfsDevice.of(root(), e.devpath()));
        out().println("rules read from: " + String.join(" ", s.value().get().rules().files()));
        ro.trace().forEach(r -> out().println("rule matched: " + r));
        if (ro.trace().isEmpty()) {
            out().println("rules: none matched");
        }
        out().println("properties:");
        ro.env().forEach((k, v) -> out().println("  " + k + "=" + v));
        ResolveContext ctx = s.value().get().newContext();
        for (RunEntry r : ro.runs()) {
            out().println("run: " + r);
            if (r.kmod().isPresent()) {
                for (String q : r.kmod().get().queries(ro.env())) {
                    out().println("  kmod load " + q + " -> " + resolve(ctx, q));
                }
            }
        }
        if (ro.runs().isEmpty()) {
            out().println("run: nothing");
        }
        return 0;
    }

    private static String resolve(ResolveContext ctx, String q) {
        try {
            List<ModuleRef> mods = ctx.lookup(q);
            return mods.isEmpty() ? "no module" : String.join(" ", mods.stream().map(ModuleRef::name).toList());
        } catch (ResolveContext.InvalidNameException ex) {
            return ex.getMessage();
        }
    }
}
