package org.lkmd.daemon;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.lkmd.config.Diagnostic;
import org.lkmd.control.ControlCodec;
import org.lkmd.control.ControlService;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.UeventSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The control socket's view of a running {@link Daemon}. */
public final class DaemonControl implements ControlService {
    /** How many recent failures {@code status} lists. */
    static final int LAST_ERRORS = 10;

    private final Daemon daemon;
    private final RulesEngine engine;
    /** Above the kernel's 50 concurrent helpers; a request beyond gets "busy" and the helper loads itself. */
    private final java.util.concurrent.ExecutorService loads = new java.util.concurrent.ThreadPoolExecutor(0, 64,
            30, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "lkmd-helper-load");
                t.setDaemon(true);
                return t;
            });

    public DaemonControl(Daemon daemon) {
        this.daemon = daemon;
        Snapshot s = daemon.snapshot();
        this.engine = new RulesEngine(daemon.root(), new ProcessProgramRunner(s.config().hookTimeout(),
                ProcessProgramRunner.DEFAULT_MAX_OUTPUT, List.of(Path.of("/usr/lib/lkmd"), Path.of("/usr/lib/udev"))));
    }

    @Override
    public JsonObject status() {
        JsonObject o = new JsonObject();
        Instant now = Instant.now();
        o.addProperty("pid", ProcessHandle.current().pid());
        o.addProperty("started", String.valueOf(daemon.started()));
        o.addProperty("uptime_s", daemon.started() == null ? 0 : Duration.between(daemon.started(), now).toSeconds());
        o.addProperty("simulate", daemon.simulating());
        o.addProperty("release", daemon.release());
        Snapshot s = daemon.snapshot();
        JsonObject snap = new JsonObject();
        snap.addProperty("generation", s.generation());
        snap.addProperty("loaded_at", s.loadedAt().toString());
        snap.addProperty("rules", s.rules().size());
        JsonObject files = new JsonObject();
        daemon.sources().forEach((f, t) -> files.addProperty(f, t.toString()));
        snap.add("sources", files);
        snap.add("diagnostics", ControlCodec.strings(s.diagnostics()));
        o.add("snapshot", snap);
        EventQueue.Stats st = daemon.queue().stats();
        JsonObject q = new JsonObject();
        q.addProperty("queued", st.queued());
        q.addProperty("running", st.running());
        q.addProperty("workers", s.config().effectiveWorkers());
        q.addProperty("done", st.done());
        q.addProperty("slow", st.slow());
        q.addProperty("rejected", st.rejected());
        q.addProperty("failed", st.failed());
        o.add("queue", q);
        o.addProperty("events", daemon.events().events());
        o.add("outcomes", ControlCodec.counts(daemon.events().totals()));
        o.add("failures_by_errno", ControlCodec.counts(daemon.events().failuresByErrno()));
        UeventSource src = daemon.source();
        o.add("drops", src == null ? new JsonObject() : ControlCodec.counts(src.drops().snapshot()));
        o.addProperty("overflows", src == null ? 0 : src.overflows());
        if (src instanceof org.lkmd.uevent.NetlinkUeventSource nl) {
            o.addProperty("received", nl.received());
        }
        o.addProperty("delivered", src == null ? 0 : src.delivered());
        o.addProperty("resyncs", daemon.resyncs());
        o.addProperty("resynced_devices", daemon.resyncedDevices());
        o.add("last_errors", ControlCodec.strings(lastErrors(daemon.events().records())));
        o.add("last_reload_problems", ControlCodec.strings(daemon.lastReloadProblems()));
        o.addProperty("reloads_failed", daemon.reloadsFailed());
        JsonObject clean = new JsonObject();
        clean.addProperty("enabled", s.config().autoclean().enabled());
        clean.addProperty("unloaded", daemon.autoclean().unloaded());
        o.add("autoclean", clean);
        return o;
    }

    /** The newest failures, newest first, as "seq N DEVPATH: WHAT RESULT ERRNO (DETAIL)". */
    static List<String> lastErrors(List<EventRecord> records) {
        List<String> out = new ArrayList<>();
        for (int i = records.size() - 1; i >= 0 && out.size() < LAST_ERRORS; i--) {
            EventRecord r = records.get(i);
            for (EventRecord.Outcome x : r.outcomes()) {
                if (x.result() == EventRecord.Result.FAILED || x.result() == EventRecord.Result.PROGRAM_FAILED) {
                    out.add(r.subject() + ": " + x.what() + " "
                            + x.result().name().toLowerCase() + (x.errno() != null ? " " + x.errno().name() : "")
                            + (x.detail() != null && !x.detail().isEmpty() ? " (" + x.detail() + ")" : ""));
                }
            }
        }
        return out;
    }

    @Override
    public JsonObject reload() {
        boolean ok = daemon.reload();
        JsonObject o = new JsonObject();
        o.addProperty("reloaded", ok);
        o.addProperty("generation", daemon.snapshot().generation());
        List<Diagnostic> problems = ok ? daemon.snapshot().diagnostics() : daemon.lastReloadProblems();
        JsonArray a = ControlCodec.strings(problems);
        o.add("problems", a);
        return o;
    }

    @Override
    public boolean idle() {
        EventQueue.Stats st = daemon.queue().stats();
        return st.queued() + st.running() == 0;
    }

    @Override
    public int[] depth() {
        EventQueue.Stats st = daemon.queue().stats();
        return new int[] {st.queued(), st.running()};
    }

    @Override
    public List<String> explain(String target) {
        return new Explainer(daemon.root(), daemon.snapshot(), daemon.kernel(), engine, daemon.events()).explain(target);
    }

    @Override
    public AutoCloseable subscribe(Consumer<EventRecord> listener) {
        return daemon.events().subscribe(listener);
    }

    @Override
    public java.util.concurrent.CompletableFuture<JsonObject> load(String name, boolean commandLine) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> new HelperLoad(daemon).run(name, commandLine), loads);
    }
}
