package org.lkmd.daemon;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.lkmd.loader.FailureCache;
import org.lkmd.process.HelperDirs;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.Root;
import org.lkmd.control.ControlCodec;
import org.lkmd.control.ControlService;
import org.lkmd.base.ModuleNames;
import org.lkmd.config.LogLevel;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.LsmodTable;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import org.lkmd.uevent.EventQueue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the daemon answers on the control socket: {@code status} from one {@link DaemonStatus}
 * built per request, {@code reload}, the queue's depth for {@code settle}, {@code explain}, the
 * kernel helper's {@code load}, a person's {@code remove} and {@code lsmod} for the C client, and
 * event records for {@code monitor}, all as the protocol's JSON.
 */
final class DaemonControl implements ControlService {
    /** The daemon's logger: its lines say "Daemon" in the journal. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long a kernel request's log line and record wait for its answer to be written. */
    static final long ANSWER_WAIT_MS = 250;
    private final Supplier<DaemonStatus> status;
    private final BooleanSupplier reload;
    private final Supplier<EventQueue.Stats> queue;
    private final Root root;
    private final Kernel kernel;
    private final Supplier<Snapshot> snapshot;
    private final EventLog events;
    private final HelperLoad helperLoad;
    private final HelperRemove helperRemove;
    private final RulesEngine engine;
    private final Admin admin;
    /** Above the kernel's 50 concurrent helpers; a request beyond gets "busy" and the helper loads itself. */
    private final ExecutorService loads = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "lkmd-helper-load");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param status   builds the status record of this instant
     * @param reload   the daemon's reload: true when the new snapshot was swapped in
     * @param queue    the event queue's counters now
     * @param snapshot the snapshot in force (explain reads it)
     * @param events   the daemon's event log (explain's history, monitor's stream)
     * @param admin    what {@code lkmd control} changes and {@code status} lists as running
     */
    DaemonControl(Supplier<DaemonStatus> status, BooleanSupplier reload, Supplier<EventQueue.Stats> queue, Root root,
                  Kernel kernel, Supplier<Snapshot> snapshot, EventLog events, HelperLoad helperLoad, Admin admin) {
        this.admin = admin;
        this.status = status;
        this.reload = reload;
        this.queue = queue;
        this.root = root;
        this.kernel = kernel;
        this.snapshot = snapshot;
        this.events = events;
        this.helperLoad = helperLoad;
        this.helperRemove = new HelperRemove(snapshot, kernel, helperLoad.simulating());
        this.engine = new RulesEngine(root, new ProcessProgramRunner(snapshot.get().config().hookTimeout(),
                ProcessProgramRunner.DEFAULT_MAX_OUTPUT, HelperDirs.DEFAULT));
    }

    /**
     * What {@code lkmd control} acts on, and what runs now.
     *
     * @param knobs      the log level and workers in force, and who set them
     * @param eventQueue the event queue (null before the daemon opened it)
     * @param ready      true once the daemon told systemd READY=1
     * @param stop       stops the daemon as SIGTERM does
     */
    record Admin(LiveKnobs knobs, Supplier<EventQueue> eventQueue, BooleanSupplier ready, Runnable stop) {
    }

    @Override
    public JsonObject status() {
        JsonObject o = json(status.get());
        o.addProperty("log_level", LiveKnobs.logLevelNow());
        o.addProperty("log_level_source", admin.knobs().logLevelSource());
        o.addProperty("children_max_source", admin.knobs().workersSource());
        o.add("running_events", running());
        return o;
    }

    /** The uevents being handled and the load requests being served now, each with its elapsed time. */
    private JsonArray running() {
        JsonArray a = new JsonArray();
        EventQueue q = admin.eventQueue().get();
        if (q != null) {
            for (EventQueue.Running r : q.running()) {
                JsonObject j = new JsonObject();
                j.addProperty("source", "UEVENT");
                j.addProperty("seq", r.event().seqnum());
                j.addProperty("action", r.event().action());
                j.addProperty("devpath", r.event().devpath());
                j.addProperty("subsystem", r.event().subsystem());
                j.addProperty("elapsed_ms", r.elapsed().toMillis());
                j.addProperty("slow", r.slow());
                a.add(j);
            }
        }
        long now = System.nanoTime();
        for (HelperLoad.InFlight f : helperLoad.inFlight()) {
            JsonObject j = new JsonObject();
            j.addProperty("source", f.commandLine() ? "COMMAND_LINE" : "KERNEL_REQUEST");
            j.addProperty("request", f.name());
            j.addProperty("elapsed_ms", TimeUnit.NANOSECONDS.toMillis(now - f.startedNanos()));
            a.add(j);
        }
        return a;
    }

    @Override
    public JsonObject configure(String logLevel, Integer childrenMax) {
        String level = null;
        if (logLevel != null) {
            level = LogLevel.parse(logLevel).orElseThrow(() -> new IllegalArgumentException(
                    "invalid log level \"" + logLevel + "\" (expected " + LogLevel.ACCEPTED + "), nothing changed"));
        }
        EventQueue q = admin.eventQueue().get();
        if (childrenMax != null && (childrenMax < 1 || childrenMax > EventQueue.MAX_WORKERS)) {
            throw new IllegalArgumentException("invalid children max " + childrenMax + " (expected 1 to "
                    + EventQueue.MAX_WORKERS + "), nothing changed");
        }
        if (childrenMax != null && q == null) {
            throw new IllegalArgumentException("the event queue is not running yet, nothing changed");
        }
        if (level != null) {
            admin.knobs().controlLogLevel(level, snapshot.get().config());
            log.info("Log level set to {} by lkmd control", level);
        }
        if (childrenMax != null) {
            q.setWorkers(childrenMax);
            admin.knobs().workersSetByControl();
            log.info("Children max set to {} by lkmd control", childrenMax);
        }
        JsonObject o = new JsonObject();
        o.addProperty("log_level", LiveKnobs.logLevelNow());
        o.addProperty("log_level_source", admin.knobs().logLevelSource());
        if (q != null) {
            o.addProperty("children_max", q.workers());
        }
        o.addProperty("children_max_source", admin.knobs().workersSource());
        return o;
    }

    @Override
    public JsonObject ping() {
        JsonObject o = new JsonObject();
        o.addProperty("ready", admin.ready().getAsBoolean());
        EventQueue q = admin.eventQueue().get();
        if (q != null) {
            EventQueue.Stats st = q.stats(); // takes the queue's lock: a wedged queue holds the answer
            o.addProperty("queued", st.queued());
            o.addProperty("running", st.running());
        }
        return o;
    }

    @Override
    public void exit() {
        log.info("Stopping on request (lkmd control --exit)");
        admin.stop().run();
    }

    @Override
    public JsonArray history(Instant since, String module, boolean failed) {
        String m = module == null ? null : ModuleNames.normalizeName(module);
        JsonArray a = new JsonArray();
        for (EventRecord r : events.records()) {
            if (since != null && r.received().isBefore(since)) {
                continue;
            }
            if (m != null && r.outcomes().stream().noneMatch(x -> m.equals(ModuleNames.normalizeName(x.what())))) {
                continue;
            }
            if (failed && r.outcomes().stream().noneMatch(x -> x.result() == EventRecord.Result.FAILED
                    || x.result() == EventRecord.Result.PROGRAM_FAILED || x.result() == EventRecord.Result.DENIED)) {
                continue;
            }
            a.add(EventJson.of(r));
        }
        return a;
    }

    /** The {@code status} answer's fields. */
    static JsonObject json(DaemonStatus s) {
        JsonObject o = new JsonObject();
        o.addProperty("pid", s.pid());
        o.addProperty("started", String.valueOf(s.started()));
        o.addProperty("uptime_s", s.started() == null ? 0 : Duration.between(s.started(), s.now()).toSeconds());
        o.addProperty("simulate", s.simulate());
        o.addProperty("release", s.release());
        JsonObject snap = new JsonObject();
        snap.addProperty("generation", s.generation());
        snap.addProperty("loaded_at", s.loadedAt().toString());
        snap.addProperty("rules", s.rules());
        JsonObject files = new JsonObject();
        s.sources().forEach((f, t) -> files.addProperty(f, t.toString()));
        snap.add("sources", files);
        snap.add("diagnostics", ControlCodec.strings(s.diagnostics()));
        o.add("snapshot", snap);
        EventQueue.Stats st = s.queue();
        JsonObject q = new JsonObject();
        q.addProperty("queued", st.queued());
        q.addProperty("running", st.running());
        q.addProperty("workers", s.workers());
        q.addProperty("done", st.done());
        q.addProperty("slow", st.slow());
        q.addProperty("rejected", st.rejected());
        q.addProperty("failed", st.failed());
        o.add("queue", q);
        o.addProperty("events", s.events());
        o.add("outcomes", ControlCodec.counts(s.outcomes()));
        o.add("failures_by_errno", ControlCodec.counts(s.failuresByErrno()));
        o.add("drops", ControlCodec.counts(s.drops()));
        o.addProperty("overflows", s.overflows());
        s.received().ifPresent(n -> o.addProperty("received", n));
        o.addProperty("delivered", s.delivered());
        o.addProperty("resyncs", s.resyncs());
        o.addProperty("resynced_devices", s.resyncedDevices());
        o.add("last_errors", ControlCodec.strings(s.lastErrors()));
        o.add("last_reload_problems", ControlCodec.strings(s.lastReloadProblems()));
        o.addProperty("reloads_failed", s.reloadsFailed());
        JsonObject clean = new JsonObject();
        clean.addProperty("enabled", s.autoclean());
        clean.addProperty("unloaded", s.autocleanUnloaded());
        o.add("autoclean", clean);
        JsonArray cache = new JsonArray();
        for (FailureCache.Entry e : s.failureCache()) {
            JsonObject c = new JsonObject();
            c.addProperty("module", e.key().module());
            c.addProperty("path", e.key().path().toString());
            c.addProperty("options", e.key().options());
            c.addProperty("errno", e.errno().name());
            c.addProperty("message", e.message());
            c.addProperty("first", e.first().toString());
            c.addProperty("last", e.last().toString());
            c.addProperty("answered", e.answered());
            cache.add(c);
        }
        o.add("failure_cache", cache);
        JsonArray drift = new JsonArray();
        for (InitramfsDrift.Finding f : s.initramfsDrift()) {
            JsonObject d = new JsonObject();
            d.addProperty("module", f.module());
            d.addProperty("kind", f.kind().name().toLowerCase());
            d.addProperty("where", f.where());
            d.addProperty("message", f.message());
            drift.add(d);
        }
        o.add("initramfs_drift", drift);
        return o;
    }

    @Override
    public JsonObject reload() {
        boolean ok = reload.getAsBoolean();
        DaemonStatus s = status.get();
        JsonObject o = new JsonObject();
        o.addProperty("reloaded", ok);
        o.addProperty("generation", s.generation());
        List<Diagnostic> problems = ok ? s.diagnostics() : s.lastReloadProblems();
        o.add("problems", ControlCodec.strings(problems));
        return o;
    }

    @Override
    public boolean idle() {
        EventQueue.Stats st = queue.get();
        return st.queued() + st.running() == 0;
    }

    @Override
    public int[] depth() {
        EventQueue.Stats st = queue.get();
        return new int[] {st.queued(), st.running()};
    }

    @Override
    public List<String> explain(String target) {
        return new Explainer(root, snapshot.get(), kernel, engine, events).explain(target);
    }

    @Override
    public AutoCloseable subscribe(Consumer<JsonObject> listener) {
        return events.subscribe(r -> listener.accept(EventJson.of(r)));
    }

    @Override
    public CompletableFuture<JsonObject> load(String name, boolean commandLine, CompletionStage<?> sent) {
        CompletableFuture<JsonObject> answer = new CompletableFuture<>();
        loads.execute(() -> {
            try {
                helperLoad.run(name, commandLine, a -> {
                    answer.complete(a);
                    awaitSent(sent);
                });
            } catch (RuntimeException | Error e) {
                if (!answer.completeExceptionally(e)) {
                    log.warn("Failed to record the request for {} after answering it: {}", name, e.toString());
                }
            }
        });
        return answer;
    }

    /**
     * Until the answer is written (at most {@link #ANSWER_WAIT_MS}): in a guest of two emulated CPUs
     * the journal line written right after the answer delayed its sending by about 9 ms.
     */
    private static void awaitSent(CompletionStage<?> sent) {
        try {
            sent.toCompletableFuture().get(ANSWER_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // not written (the client went away) or not yet: the record is written all the same
        }
    }

    @Override
    public JsonObject remove(String name) {
        return helperRemove.run(name);
    }

    @Override
    public JsonObject lsmod() {
        if (helperLoad.simulating()) {
            return ControlCodec.error("lsmod: this daemon only simulates loads: its modules are not the kernel's");
        }
        JsonObject o = ControlCodec.ok();
        o.addProperty("out", LsmodTable.of(kernel));
        return o;
    }
}
