package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.base.ParseResult;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.daemon.Explainer;
import org.lkmd.daemon.Snapshot;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code lkmd explain DEVPATH|MODALIAS}: which rules matched, which alias patterns (and from which
 * file), which module, its blacklist/options lines, its load plan, and why it did not load. Asks
 * the daemon (whose snapshot and event history count); with no daemon, works from the files under
 * the root, without history.
 */
@Command(name = "explain", description = "Explain why a device got, or did not get, its driver module.")
public final class Explain extends Verb {
    @Parameters(paramLabel = "DEVPATH|MODALIAS", description = "/devices/... (or /sys/devices/...) or a modalias")
    String target;

    @Override
    public Integer call() {
        List<String> text;
        try {
            Optional<ControlClient> c = ControlClient.connect(root());
            if (c.isPresent()) {
                try (ControlClient client = c.get()) {
                    JsonObject req = ControlCodec.request("explain");
                    req.addProperty("target", target);
                    JsonObject a = ControlClient.check(client.call(req, Duration.ofSeconds(60)));
                    List<String> lines = new java.util.ArrayList<>();
                    a.getAsJsonArray("text").forEach(e -> lines.add(e.getAsString()));
                    text = lines;
                }
            } else {
                text = local();
                if (text == null) {
                    return 1;
                }
            }
        } catch (IOException e) {
            err().println("lkmd explain: " + e.getMessage());
            return 1;
        }
        text.forEach(out()::println);
        return 0;
    }

    private List<String> local() {
        String release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        ParseResult<Snapshot> s = new SnapshotLoader(root(), release, Clock.systemUTC()).load(0, true);
        s.diagnostics().forEach(d -> err().println(d));
        if (s.value().isEmpty()) {
            err().println("lkmd explain: configuration unusable (see above)");
            return null;
        }
        RulesEngine engine = new RulesEngine(root(), ProcessProgramRunner.defaults());
        return new Explainer(root(), s.value().get(), kernel(), engine, null).explain(target);
    }
}
