package org.lkmd.daemon;

import org.lkmd.base.LogFields;
import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Errno;
import org.lkmd.loader.ProbeOutcome;
import org.lkmd.modprobe.ProbeOrigin;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.loader.Prober;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.process.ChildProcess;
import org.lkmd.process.HelperDirs;
import org.lkmd.rules.CommandLine;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RuleSource;
import org.lkmd.rules.RulesEngine;
import org.lkmd.rules.RunEntry;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.Uevent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Handles one event on a worker thread: runs it through the current snapshot's rules, loads what
 * each {@code kmod load} asks for (udev's semantics: the blacklist applies, a module already in
 * the kernel is left alone), runs RUN programs without a shell under a time limit, and records
 * everything in the {@link EventLog}.
 */
public final class EventHandler implements Consumer<Uevent> {
    private static final Logger log = LoggerFactory.getLogger(EventHandler.class);

    private final Root root;
    private final Supplier<Snapshot> snapshot;
    private final Prober prober;
    private final RulesEngine engine;
    private final EventLog events;
    private final Clock clock;
    private final boolean simulate;

    /** @param simulate plan loads without making them, and do not run RUN programs */
    public EventHandler(Root root, Supplier<Snapshot> snapshot, Prober prober, RulesEngine engine, EventLog events,
                        Clock clock, boolean simulate) {
        this.root = root;
        this.snapshot = snapshot;
        this.prober = prober;
        this.engine = engine;
        this.events = events;
        this.clock = clock;
        this.simulate = simulate;
    }

    @Override
    public void accept(Uevent e) {
        Instant start = clock.instant();
        Snapshot s = snapshot.get();
        RuleOutcome ro = engine.run(s.rules(), e, SysfsDevice.of(root, e.devpath()));
        List<EventRecord.Outcome> outcomes = new ArrayList<>();
        ResolveContext ctx = s.newContext();
        for (RunEntry r : ro.runs()) {
            if (r.kind() == RunEntry.Kind.BUILTIN && r.kmod().isPresent()) {
                ProbeOrigin.Uevent origin = new ProbeOrigin.Uevent(r.source().toString(), e.devpath(), e.seqnum());
                for (String q : r.kmod().get().queries(ro.env())) {
                    ProbeRequest req = ProbeRequest.forUevent(q, origin);
                    load(ctx, simulate ? req.dryRun() : req, e, outcomes);
                }
            } else if (r.kind() == RunEntry.Kind.PROGRAM) {
                outcomes.add(runProgram(r, ro, s.config().hookTimeout()));
            }
        }
        events.add(new EventRecord(e.seqnum(), e.action(), e.devpath(), e.subsystem(), e.modalias(), start,
                Duration.between(start, clock.instant()), ro.trace().stream().map(RuleSource::toString).toList(),
                outcomes, e.properties()));
    }

    private void load(ResolveContext ctx, ProbeRequest req, Uevent e, List<EventRecord.Outcome> outcomes) {
        ProbeOutcome probe = prober.probe(ctx, req, Prober.Listener.NONE);
        if (probe.notFound()) {
            // most devices have no driver module: not worth more than a debug line
            log.debug("No module for {} ({})", req.query(), e.devpath());
        }
        for (EventRecord.Outcome o : ProbeRecords.outcomes(probe)) {
            if (o.result() != EventRecord.Result.NOT_FOUND && outcomes.stream().anyMatch(
                    x -> x.what().equals(o.what()) && x.result() != EventRecord.Result.FAILED)) {
                // several alias patterns (or kmod loads) name the same module: kmod would find it
                // loaded the second time; one outcome for it is enough
                continue;
            }
            outcomes.add(o);
            try (MDC.MDCCloseable field = MDC.putCloseable(LogFields.MODULE, o.what())) {
                logOutcome(o, e);
            }
        }
    }

    /** One line per module of the event's load, with the module as the record's {@code MODULE} field. */
    private static void logOutcome(EventRecord.Outcome o, Uevent e) {
        String m = o.what();
        String with = o.detail() == null || o.detail().isEmpty() ? "" : " (with " + o.detail() + ")";
        switch (o.result()) {
            case NOT_FOUND -> { }
            case LOADED -> log.info("Loaded module {} for {}{}", m, e.devpath(), with);
            case DRY_RUN -> log.info("Would load module {} for {}{}", m, e.devpath(), with);
            case FAILED -> {
                if (o.detail() != null && o.detail().endsWith(ProbeRecords.FROM_CACHE)) {
                    // told once when it was tried; each CPU's repeat would flood the journal
                    log.debug("Module {} for {} failed before: {}", m, e.devpath(), o.detail());
                } else if (o.errno() == Errno.ENODEV) {
                    // The module's init found none of its hardware (e.g. a CPU-feature alias of a
                    // cpufreq or EDAC driver): expected, as udev treats it, not worth a warning.
                    log.info("Module {} for {} declined: {}", m, e.devpath(), o.detail());
                } else {
                    log.warn("Failed to load module {} for {}: {}", m, e.devpath(), o.detail());
                }
            }
            case BLACKLISTED -> log.info("Not loading module {} for {}: blacklisted", m, e.devpath());
            // the admin's choice: told, as a blacklisted module is, not warned about
            case DENIED -> log.info("Not loading module {} for {}: {}", m, e.devpath(), o.detail());
            default -> log.debug("Module {} for {}: {}", m, e.devpath(), o.result());
        }
    }

    private EventRecord.Outcome runProgram(RunEntry r, RuleOutcome ro, Duration timeout) {
        String where = r.source().toString();
        if (simulate) {
            return new EventRecord.Outcome(r.command(), null, EventRecord.Result.DRY_RUN, null, where);
        }
        List<String> argv = CommandLine.split(r.command());
        if (argv.isEmpty()) {
            return new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                    where + ": empty command");
        }
        Optional<Path> program = HelperDirs.resolve(argv.get(0), HelperDirs.DEFAULT);
        if (program.isEmpty()) {
            log.warn("Failed to run {} ({}): {} not found in {}", r.command(), where, argv.get(0), HelperDirs.DEFAULT);
            return new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                    where + ": " + argv.get(0) + " not found in " + HelperDirs.DEFAULT);
        }
        argv = new ArrayList<>(argv);
        argv.set(0, program.get().toString());
        Map<String, String> env = new HashMap<>(ro.env());
        env.putIfAbsent("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        ChildProcess.Result p = ChildProcess.of(argv).withEnvironment(env).withTimeout(timeout).run();
        return switch (p.ended()) {
            case KILLED -> {
                String killed = "killed after " + timeout.toSeconds() + " s" + p.stillAlive();
                log.warn("Failed to run {} ({}): {}", r.command(), where, killed);
                yield new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                        where + ": " + killed);
            }
            case EXITED -> {
                if (p.exitStatus() != 0) {
                    log.warn("Failed to run {} ({}): exit status {}", r.command(), where, p.exitStatus());
                    yield new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                            where + ": exit status " + p.exitStatus());
                }
                yield new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_RAN, null, where);
            }
            case NOT_STARTED -> {
                log.warn("Failed to run {} ({}): {}", r.command(), where, p.error());
                yield new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                        where + ": " + p.error());
            }
            case INTERRUPTED -> new EventRecord.Outcome(r.command(), null, EventRecord.Result.PROGRAM_FAILED, null,
                    where + ": interrupted");
        };
    }
}
