package org.lkmd.cli;

import org.lkmd.daemon.Snapshot;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RunEntry;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.DeviceUevent;
import org.lkmd.uevent.Uevent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.Optional;

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
        Optional<Snapshot> snapshot = RulesDryRun.load(root(), releaseOption(), err());
        if (snapshot.isEmpty()) {
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
        RulesDryRun run = RulesDryRun.run(root(), snapshot.get(), e);
        RuleOutcome ro = run.outcome();
        out().println("rules read from: " + String.join(" ", run.ruleFiles()));
        ro.trace().forEach(r -> out().println("rule matched: " + r));
        if (ro.trace().isEmpty()) {
            out().println("rules: none matched");
        }
        out().println("properties:");
        ro.env().forEach((k, v) -> out().println("  " + k + "=" + v));
        ResolveContext ctx = run.newContext();
        for (RunEntry r : ro.runs()) {
            out().println("run: " + r);
            if (r.kmod().isPresent()) {
                for (String q : r.kmod().get().queries(ro.env())) {
                    out().println("  kmod load " + q + " -> " + RulesDryRun.resolve(ctx, q));
                }
            }
        }
        if (ro.runs().isEmpty()) {
            out().println("run: nothing");
        }
        return 0;
    }
}
