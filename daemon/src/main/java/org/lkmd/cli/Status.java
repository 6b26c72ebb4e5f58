package org.lkmd.cli;

import com.google.gson.JsonArray;
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

/** {@code lkmd status}: what the running daemon is doing and has done. Exit 1 when no daemon answers. */
@Command(name = "status", description = "Show the daemon's state: snapshot, queue, counters, last errors.")
public final class Status extends Verb {
    @Option(names = "--json", description = "Print the daemon's answer as JSON.")
    boolean json;

    @Override
    public Integer call() {
        try {
            Optional<ControlClient> c = connectDaemon("status");
            if (c.isEmpty()) {
                return 1;
            }
            JsonObject s;
            try (ControlClient client = c.get()) {
                s = ControlClient.check(client.call(ControlCodec.request("status"), Duration.ofSeconds(10)));
            }
            if (json) {
                out().print(ControlCodec.line(s));
                return 0;
            }
            print(s);
            return 0;
        } catch (IOException e) {
            err().println("lkmd status: " + e.getMessage());
            return 1;
        }
    }

    private void print(JsonObject s) {
        JsonObject snap = s.getAsJsonObject("snapshot");
        JsonObject q = s.getAsJsonObject("queue");
        out().println("lkmd daemon: pid " + s.get("pid").getAsLong() + ", up " + s.get("uptime_s").getAsLong() + " s"
                + " (since " + s.get("started").getAsString() + ")" + (s.get("simulate").getAsBoolean() ? ", simulating" : "")
                + ", kernel " + s.get("release").getAsString());
        out().println("snapshot: generation " + snap.get("generation").getAsLong() + ", loaded "
                + snap.get("loaded_at").getAsString() + ", " + snap.get("rules").getAsInt() + " rules");
        for (Map.Entry<String, JsonElement> f : snap.getAsJsonObject("sources").entrySet()) {
            out().println("  " + f.getValue().getAsString() + "  " + f.getKey());
        }
        list("snapshot diagnostics", snap.get("diagnostics"));
        out().println("queue: " + q.get("queued").getAsInt() + " queued, " + q.get("running").getAsInt() + " of "
                + q.get("workers").getAsInt() + " workers busy; " + q.get("done").getAsLong() + " done, "
                + q.get("slow").getAsLong() + " slow, " + q.get("failed").getAsLong() + " failed, "
                + q.get("rejected").getAsLong() + " rejected");
        if (s.has("log_level")) {
            out().println("log level: " + s.get("log_level").getAsString() + " (" + s.get("log_level_source").getAsString()
                    + "); children max: " + q.get("workers").getAsInt() + " (" + s.get("children_max_source").getAsString() + ")");
        }
        if (s.has("running_events")) {
            running(s.getAsJsonArray("running_events"));
        }
        out().println("events: " + s.get("events").getAsLong());
        counts("outcomes", s.getAsJsonObject("outcomes"));
        counts("failures by errno", s.getAsJsonObject("failures_by_errno"));
        counts("drops", s.getAsJsonObject("drops"));
        out().println("uevents: " + (s.has("received") ? s.get("received").getAsLong() + " datagrams received, " : "")
                + s.get("delivered").getAsLong() + " delivered; overflows: " + s.get("overflows").getAsLong()
                + ", resyncs: " + s.get("resyncs").getAsLong() + " (" + s.get("resynced_devices").getAsLong()
                + " devices rescanned)");
        list("last errors", s.get("last_errors"));
        list("last reload problems", s.get("last_reload_problems"));
        out().println("reloads failed: " + s.get("reloads_failed").getAsLong());
        JsonObject a = s.getAsJsonObject("autoclean");
        out().println("autoclean: " + (a.get("enabled").getAsBoolean() ? "enabled" : "disabled") + ", "
                + a.get("unloaded").getAsLong() + " unloaded");
        if (s.has("failure_cache")) {
            failureCache(s.getAsJsonArray("failure_cache"));
        }
        if (s.has("initramfs_drift") && s.getAsJsonArray("initramfs_drift").size() > 0) {
            out().println("initramfs drift:");
            s.getAsJsonArray("initramfs_drift").forEach(d -> out().println("  "
                    + d.getAsJsonObject().get("message").getAsString()));
        }
    }

    /** One line per uevent being handled or load request being served, with how long it has run. */
    private void running(JsonArray a) {
        if (a.size() == 0) {
            out().println("running: none");
            return;
        }
        out().println("running: " + a.size());
        for (JsonElement x : a) {
            JsonObject r = x.getAsJsonObject();
            String what = r.has("seq")
                    ? "uevent " + r.get("seq").getAsLong() + " " + r.get("action").getAsString() + " "
                    + r.get("devpath").getAsString()
                    : r.get("source").getAsString().toLowerCase().replace('_', ' ') + " " + r.get("request").getAsString();
            out().println("  " + what + ", " + r.get("elapsed_ms").getAsLong() + " ms"
                    + (r.has("slow") && r.get("slow").getAsBoolean() ? " (slow)" : ""));
        }
    }

    /** One line per remembered failure: what failed, why, since when, and how often it answered since. */
    private void failureCache(JsonArray entries) {
        if (entries.size() == 0) {
            out().println("failure cache: none");
            return;
        }
        out().println("failure cache: " + entries.size());
        for (JsonElement x : entries) {
            JsonObject e = x.getAsJsonObject();
            String opts = e.get("options").getAsString();
            out().println("  " + e.get("module").getAsString() + " " + e.get("errno").getAsString() + " ("
                    + e.get("message").getAsString() + "), " + e.get("path").getAsString()
                    + (opts.isEmpty() ? "" : " options \"" + opts + "\"") + "; failed "
                    + e.get("first").getAsString() + ", last asked " + e.get("last").getAsString() + ", "
                    + e.get("answered").getAsLong() + " answered from cache");
        }
    }

    private void counts(String title, JsonObject o) {
        StringBuilder sb = new StringBuilder(title + ":");
        if (o.size() == 0) {
            sb.append(" none");
        }
        o.entrySet().forEach(e -> sb.append(' ').append(e.getKey().toLowerCase()).append('=').append(e.getValue().getAsLong()));
        out().println(sb);
    }

    private void list(String title, JsonElement a) {
        if (a.getAsJsonArray().size() == 0) {
            out().println(title + ": none");
            return;
        }
        out().println(title + ":");
        a.getAsJsonArray().forEach(e -> out().println("  " + e.getAsString()));
    }
}
