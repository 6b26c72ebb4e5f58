package org.lkmd.daemon;

import com.google.gson.JsonObject;
import org.lkmd.base.LogFields;
import org.lkmd.control.ControlCodec;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.loader.ProbeOutcome;
import org.lkmd.loader.Prober;
import org.lkmd.modprobe.ProbeRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One {@code modprobe -q -- NAME} from the kernel's module helper (or, from a person, a plain
 * {@code modprobe NAME} the helper forwarded), done by the daemon through the one probe path:
 * kmod's lookup, modprobe's blacklist rule (aliases only), the daemon's shared loader. The answer
 * holds modprobe's exit code and the lines modprobe would have printed; the request, its modules,
 * their outcomes and the time taken go to the event log with the request as origin. The answer is
 * given as soon as the loads are done, before the log lines and the event record are written: the
 * kernel's {@code request_module()} waits for the helper, and the helper for the answer, so nothing
 * else lies between a module's load and the kernel going on (under emulation the two took about 13
 * ms, a tenth of a request).
 *
 * <p>A person's request is refused, before anything is done, where the daemon would not do what
 * kmod's modprobe run by that person does, and the client's own tool (the Java one) does it then:
 * when a modprobe.d file or the module index changed since the snapshot began reading them
 * ({@link ModprobeInputs}; kmod reads the files at every run, the daemon after its watcher's quiet
 * time, or at {@code lkmd reload}), and when the load would run an {@code install} command (kmod runs
 * it in the person's session, its output on their terminal; the daemon's would go to the journal),
 * and always by a daemon that only simulates loads ({@code --simulate}: not the system's loader).
 */
final class HelperLoad {
    private static final Logger log = LoggerFactory.getLogger(HelperLoad.class);
    private final Supplier<Snapshot> snapshot;
    private final Prober prober;
    private final EventLog events;
    private final boolean simulate;
    /** The requests being served now, for {@code lkmd status}. */
    private final java.util.Map<Long, InFlight> inFlight = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong ids = new java.util.concurrent.atomic.AtomicLong();

    /** A request being served: what was asked, by whom, since when ({@link System#nanoTime()}). */
    record InFlight(String name, boolean commandLine, long startedNanos) {
        /** {@code kernel request NAME} or {@code command line NAME}, as the event log says it. */
        String subject() {
            return (commandLine ? "command line " : "kernel request ") + name;
        }
    }

    /**
     * @param prober   the daemon's own, so helper loads and event loads share one single-flight loader
     * @param events   the daemon's event log, where every request is recorded
     * @param simulate plan loads without making them
     */
    HelperLoad(Supplier<Snapshot> snapshot, Prober prober, EventLog events, boolean simulate) {
        this.snapshot = snapshot;
        this.prober = prober;
        this.events = events;
        this.simulate = simulate;
    }

    /** True when this daemon only plans loads ({@code --simulate}): its kernel is not the system's loader. */
    boolean simulating() {
        return simulate;
    }

    /**
     * Serves one request; its answer goes to {@code answer} once, before the request is logged and
     * recorded.
     *
     * @param commandLine true when a person asked (the helper saw another form than the kernel's)
     */
    void run(String name, boolean commandLine, Consumer<JsonObject> answer) {
        // one snapshot and one request for the checks and the load
        Snapshot s = snapshot.get();
        ProbeRequest req = commandLine ? ProbeRequest.fromCli(name, null) : ProbeRequest.forKernelRequest(name);
        if (commandLine && simulate) {
            answer.accept(ControlCodec.error("load: this daemon only simulates loads"));
            return;
        }
        if (commandLine && s.modprobeInputs().changed()) {
            answer.accept(ControlCodec.error("load: the configuration changed since the daemon read it"));
            return;
        }
        if (commandLine && runsInstallCommand(s, req)) {
            answer.accept(ControlCodec.error("load: an install command runs in the caller's session"));
            return;
        }
        InFlight f = new InFlight(name, commandLine, System.nanoTime());
        long id = ids.incrementAndGet();
        inFlight.put(id, f);
        try (MDC.MDCCloseable origin = MDC.putCloseable(LogFields.ORIGIN,
                commandLine ? LogFields.COMMAND_LINE : LogFields.KERNEL_REQUEST)) {
            serve(s, simulate ? req.dryRun() : req, name, commandLine, f.startedNanos(), answer);
        } finally {
            inFlight.remove(id);
        }
    }

    /** True when the request would run an install command (planned, not done). */
    private boolean runsInstallCommand(Snapshot s, ProbeRequest req) {
        if (s.modprobe().installLines().isEmpty()) {
            return false;
        }
        ProbeOutcome plan = prober.probe(s.newContext(), req.dryRun(), Prober.Listener.NONE);
        return plan.modules().stream().anyMatch(r -> r.plan() != null
                && r.plan().steps().stream().anyMatch(st -> st instanceof org.lkmd.modprobe.LoadStep.Install));
    }

    /** The requests being served now, oldest first. */
    List<InFlight> inFlight() {
        List<InFlight> out = new ArrayList<>(inFlight.values());
        out.sort(java.util.Comparator.comparingLong(InFlight::startedNanos));
        return out;
    }

    private void serve(Snapshot s, ProbeRequest req, String name, boolean commandLine, long t0,
                       Consumer<JsonObject> answer) {
        Instant received = Instant.now();
        ProbeOutcome o = prober.probe(s.newContext(), req, Prober.Listener.NONE);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        List<String> messages = new ArrayList<>();
        if (o.notFound()) {
            messages.add("modprobe: FATAL: " + o.notFoundMessage());
        }
        o.modules().forEach(r -> r.errors().forEach(e -> messages.add("modprobe: ERROR: " + e)));
        JsonObject a = ControlCodec.ok();
        a.addProperty("rc", o.exitCode());
        a.add("messages", ControlCodec.strings(messages));
        answer.accept(a);
        // then what the request leaves behind
        String origin = req.origin().describe();
        if (o.notFound()) {
            log.debug("No module for {}", origin);
        }
        for (Prober.Result r : o.modules()) {
            try (MDC.MDCCloseable module = MDC.putCloseable(LogFields.MODULE, r.module().name())) {
                logResult(r, origin);
            }
        }
        events.add(EventRecord.ofRequest(commandLine ? EventRecord.Source.COMMAND_LINE
                : EventRecord.Source.KERNEL_REQUEST, name, received, took, ProbeRecords.outcomes(o)));
    }

    private static void logResult(Prober.Result r, String origin) {
        if (r.failed() && r.fromCache()) {
            log.debug("Module {} for the {} failed before: {}", r.module().name(), origin, r.message());
        } else if (r.kind() == Prober.Kind.DENIED) {
            log.warn("Refused to load module {} for the {}: {}", r.module().name(), origin, r.message());
        } else if (r.failed()) {
            log.warn("Failed to load module {} for the {}: {}", r.module().name(), origin, r.message());
        } else if (r.kind() == Prober.Kind.LOADED || r.kind() == Prober.Kind.DRY_RUN) {
            log.info("{} module {} for the {}", r.kind() == Prober.Kind.LOADED ? "Loaded" : "Would load",
                    r.module().name(), origin);
        }
    }
}
