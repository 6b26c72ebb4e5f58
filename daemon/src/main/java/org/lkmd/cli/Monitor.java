package org.lkmd.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * {@code lkmd monitor}: every event the daemon handles, as it finishes, with each module's outcome
 * and the time the daemon took. Runs until interrupted (or {@code --count} events).
 */
@Command(name = "monitor", description = "Print each event the daemon handles, with its outcome and latency.")
public final class Monitor extends Verb {
    @Option(names = {"-s", "--subsystem", "--subsystem-match"}, paramLabel = "SUBSYSTEM",
            description = "Only events of this subsystem.")
    String subsystem;

    @Option(names = {"-p", "--property"}, description = "Also print each event's properties.")
    boolean property;

    @Option(names = "--count", paramLabel = "N", description = "Exit after N events.")
    long count = -1;

    @Override
    public Integer call() {
        try {
            Optional<ControlClient> c = connectDaemon("monitor");
            if (c.isEmpty()) {
                return 1;
            }
            try (ControlClient client = c.get()) {
                JsonObject req = ControlCodec.request("monitor");
                if (subsystem != null) {
                    req.addProperty("subsystem", subsystem);
                }
                ControlClient.check(client.call(req, Duration.ofSeconds(10)));
                out().println("monitor: events handled by lkmd" + (subsystem != null ? " (subsystem " + subsystem + ")" : ""));
                out().flush();
                for (long n = 0; count < 0 || n < count; ) {
                    Optional<JsonObject> line = client.read(Duration.ofSeconds(3600));
                    if (line.isEmpty()) {
                        continue;
                    }
                    JsonObject ev = line.get().getAsJsonObject("event");
                    if (ev == null) {
                        ControlClient.check(line.get());
                        continue;
                    }
                    print(ev);
                    n++;
                }
            }
            return 0;
        } catch (IOException e) {
            err().println("lkmd monitor: " + e.getMessage());
            return 1;
        }
    }

    private void print(JsonObject ev) {
        out().println(format(ev));
        if (property) {
            for (Map.Entry<String, JsonElement> p : ev.getAsJsonObject("properties").entrySet()) {
                out().println(p.getKey() + "=" + p.getValue().getAsString());
            }
            out().println();
        }
        out().flush();
    }

    /**
     * {@code LKMD[RECEIVED] ACTION DEVPATH (SUBSYSTEM) seq N, LATENCY ms: MODULE RESULT ...} for a
     * uevent; {@code LKMD[RECEIVED] kernel request NAME, LATENCY ms: ...} (or {@code command line
     * NAME}) for a load request that came another way.
     */
    static String format(JsonObject ev) {
        StringBuilder sb = new StringBuilder("LKMD[").append(ev.get("received").getAsString()).append("] ");
        String source = ControlCodec.string(ev, "source");
        if (source == null || source.equals("UEVENT")) {
            sb.append(ev.get("action").getAsString()).append(' ').append(ev.get("devpath").getAsString())
                    .append(" (").append(str(ev.get("subsystem"))).append(") seq ").append(ev.get("seq").getAsLong());
        } else {
            sb.append(source.equals("KERNEL_REQUEST") ? "kernel request " : "command line ")
                    .append(str(ev.get("request")));
        }
        sb.append(", ").append(String.format("%.3f", ev.get("latency_us").getAsLong() / 1000.0)).append(" ms");
        var outs = ev.getAsJsonArray("outcomes");
        if (outs.size() == 0) {
            sb.append(": nothing to load");
        }
        for (JsonElement e : outs) {
            JsonObject o = e.getAsJsonObject();
            sb.append(": ").append(o.get("what").getAsString()).append(' ')
                    .append(o.get("result").getAsString().toLowerCase());
            String errno = ControlCodec.string(o, "errno");
            String detail = ControlCodec.string(o, "detail");
            if (errno != null) {
                sb.append(' ').append(errno);
            }
            if (detail != null && !detail.isEmpty()) {
                sb.append(" (").append(detail).append(')');
            }
            String origin = ControlCodec.string(o, "origin");
            if (origin != null && (source == null || source.equals("UEVENT"))) {
                sb.append(" [").append(origin).append(']');
            }
        }
        return sb.toString();
    }

    private static String str(JsonElement e) {
        return e == null || e.isJsonNull() ? "-" : e.getAsString();
    }
}
