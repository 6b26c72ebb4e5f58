package org.lkmd.daemon;

import org.lkmd.config.Root;
import org.lkmd.loader.LoadOutcome;
import org.lkmd.loader.ModuleRef;
import org.lkmd.loader.Prober;
import org.lkmd.loader.ResolveContext;
import org.lkmd.process.ChildProcess;
import org.lkmd.process.HelperDirs;
import org.lkmd.rules.CommandLine;
import org.lkmd.rules.KmodBuiltin;
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
        MDC.put("seq", Long.toString(e.seqnum()));
        MDC.put("devpath", e.devpath());
        try {
            Snapshot s = snapshot.get();
            RuleOutcome ro = engine.run(s.rules(), e, SysfsDevice.of(root, e.devpath()));
            List<EventRecord.Outcome> outcomes = new ArrayList<>();
            ResolveContext ctx = s.resolver().newContext();
            for (RunEntry r : ro.runs()) {
                if (r.kind() == RunEntry.Kind.BUILTIN && r.kmod().isPresent()) {
                    KmodBuiltin k = r.kmod().get();
                    List<String> names = new ArrayList<>();
                    if (k.loadsModalias()) {
                        String m = ro.env().get("MODALIAS");
                        if (m != null && !m.strip().isEmpty()) {
                            names.add(m.strip()); // taken whole from the event, never re-split
                        }
                    } else {
                        names.addAll(k.args());
                    }
                    for (String n : names) {
                        load(ctx, n, e, outcomes);
                    }
                } else if (r.kind() == RunEntry.Kind.PROGRAM) {
                    outcomes.add(runProgram(r, ro, s.config().hookTimeout()));
                }
            }
            events.add(new EventRecord(e.seqnum(), e.action(), e.devpath(), e.subsystem(), e.modalias(), start,
                    Duration.between(start, clock.instant()), ro.trace().stream().map(RuleSource::toString).toList(),
                    outcomes, e.properties()));
        } finally {
            MDC.remove("seq");
            MDC.remove("devpath");
        }
    }

    private void load(ResolveContext ctx, String query, Uevent e, List<EventRecord.Outcome> outcomes) {
        List<ModuleRef> mods;
        try {
            mods = ctx.lookup(query);
        } catch (ResolveContext.InvalidNameException ex) {
            mods = List.of();
        }
        if (mods.isEmpty()) {
            // most devices have no driver module: not worth more than a debug line
            log.debug("No module for {} ({})", query, e.devpath());
            outcomes.add(new EventRecord.Outcome(query, query, EventRecord.Result.NOT_FOUND, null, null));
            return;
        }
        for (ModuleRef m : mods) {
            if (outcomes.stream().anyMatch(o -> o.what().equals(m.name()) && o.result() != EventRecord.Result.FAILED)) {
                // several alias patterns name the same module: kmod would find it loaded the second time
                continue;
            }
            Prober.Flags f = Prober.Flags.udev();
            if (simulate) {
                f = new Prober.Flags(false, true, false, true, false, 0, s -> { });
            }
            Prober.Result r = prober.probe(ctx, m, query, null, f);
            EventRecord.Result result = switch (r.kind()) {
                case LOADED -> EventRecord.Result.LOADED;
                case ALREADY_LOADED -> EventRecord.Result.ALREADY_LOADED;
                case BUILTIN -> EventRecord.Result.BUILTIN;
                case BLACKLISTED -> EventRecord.Result.BLACKLISTED;
                case DRY_RUN -> EventRecord.Result.DRY_RUN;
                case FAILED -> EventRecord.Result.FAILED;
            };
            String detail = r.failed() ? r.message() : loadedWith(r);
            outcomes.add(new EventRecord.Outcome(m.name(), query, result, r.errno(), detail));
            switch (result) {
                case LOADED -> log.info("Loaded module {} for {}{}", m.name(), e.devpath(),
                        detail.isEmpty() ? "" : " (with " + detail + ")");
                case DRY_RUN -> log.info("Would load module {} for {}{}", m.name(), e.devpath(),
                        detail.isEmpty() ? "" : " (with " + detail + ")");
                case FAILED -> {
                    if (r.errno() == org.lkmd.kernel.Errno.ENODEV) {
                        // The module's init found none of its hardware (e.g. a CPU-feature alias of a
                        // cpufreq or EDAC driver): expected, as udev treats it, not worth a warning.
                        log.info("Module {} for {} declined: {}", m.name(), e.devpath(), r.message());
                    } else {
                        log.warn("Failed to load module {} for {}: {}", m.name(), e.devpath(), r.message());
                    }
                }
                case BLACKLISTED -> log.info("Not loading module {} for {}: blacklisted", m.name(), e.devpath());
                default -> log.debug("Module {} for {}: {}", m.name(), e.devpath(), result);
            }
        }
    }

    /** The other modules a load brought in (dependencies, softdeps), in load order. */
    private static String loadedWith(Prober.Result r) {
        if (r.outcome() == null) {
            return "";
        }
        List<String> others = new ArrayList<>();
        for (LoadOutcome.Step s : r.outcome().steps()) {
            boolean took = s.status() == LoadOutcome.Status.LOADED || s.status() == LoadOutcome.Status.DRY_RUN
                    || s.status() == LoadOutcome.Status.INSTALL_RAN;
            if (took && !s.module().equals(r.module().name())) {
                others.add(s.module());
            }
        }
        return String.join(" ", others);
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
