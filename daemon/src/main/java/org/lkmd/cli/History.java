package org.lkmd.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * {@code lkmd history [--since TIME] [--module M] [--failed] [--json]}: the daemon's kept event
 * records (the last N uevents and load requests), oldest first, one line each as {@code monitor}
 * prints them. Exit 1 when no daemon answers or an option is bad; 0 otherwise, also when nothing
 * matched.
 */
@Command(name = "history", description = "Show the daemon's last events and load requests, filtered.")
public final class History extends Verb {
    @Option(names = "--since", paramLabel = "TIME", description = "Only records received at or after TIME: "
            + Since.FORMS + ".")
    String since;

    @Option(names = "--module", paramLabel = "MODULE", description = "Only records with an outcome for MODULE.")
    String module;

    @Option(names = "--failed", description = "Only records with a failed or refused outcome.")
    boolean failed;

    @Option(names = "--json", description = "Print the records as JSON, one per line.")
    boolean json;

    @Override
    public Integer call() {
        JsonObject req = ControlCodec.request("history");
        if (since != null) {
            Optional<Instant> t = Since.parse(since, Instant.now(), ZoneId.systemDefault());
            if (t.isEmpty()) {
                err().println("lkmd history: invalid --since '" + since + "' (expected " + Since.FORMS + ")");
                return 1;
            }
            req.addProperty("since_ms", t.get().toEpochMilli());
        }
        if (module != null) {
            if (module.isBlank()) {
                err().println("lkmd history: --module needs a module name");
                return 1;
            }
            req.addProperty("module", module);
        }
        if (failed) {
            req.addProperty("failed", true);
        }
        try {
            Optional<ControlClient> c = connectDaemon("history");
            if (c.isEmpty()) {
                return 1;
            }
            JsonObject a;
            try (ControlClient client = c.get()) {
                a = ControlClient.check(client.call(req, Duration.ofSeconds(30)));
            }
            for (JsonElement e : a.getAsJsonArray("events")) {
                out().println(json ? ControlCodec.line(e.getAsJsonObject()).stripTrailing() : Monitor.format(e.getAsJsonObject()));
            }
            return 0;
        } catch (IOException e) {
            err().println("lkmd history: " + e.getMessage());
            return 1;
        }
    }
}
