package org.lkmd.daemon;

import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.index.Fnmatch;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.ModuleState;
import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.modprobe.ConfigEntry;
import org.lkmd.base.ModuleNames;
import org.lkmd.rules.KmodBuiltin;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RulesEngine;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.DeviceUevent;
import org.lkmd.uevent.Uevent;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code lkmd explain}: why a device got, or did not get, a driver. For a devpath, the device's
 * current uevent properties go through the rules (as an {@code add}); for each {@code kmod load}
 * it reports the lookup (modprobe.d alias lines and modules.alias patterns that match, with
 * where they came from), each module's blacklist, deny, options and install lines (file:line), its
 * load plan, its state in the kernel, and the event log's history for the device. Reads only.
 */
public final class Explainer {
    /** modules.alias lines read at most (a real one has ~30k). */
    static final int MAX_ALIAS_LINES = 1 << 20;

    private final Root root;
    private final Snapshot snapshot;
    private final Kernel kernel;
    private final RulesEngine engine;
    private final EventLog events;

    /** @param events the daemon's event log, or null when explaining without a daemon */
    public Explainer(Root root, Snapshot snapshot, Kernel kernel, RulesEngine engine, EventLog events) {
        this.root = root;
        this.snapshot = snapshot;
        this.kernel = kernel;
        this.engine = engine;
        this.events = events;
    }

    public List<String> explain(String target) {
        List<String> out = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        String devpath = null;
        if (DeviceUevent.isDevpath(target)) {
            devpath = DeviceUevent.devpath(target);
            Uevent e;
            try {
                e = DeviceUevent.read(root, devpath, "add");
            } catch (IOException ex) {
                out.add("device " + devpath + ": " + ex.getMessage());
                history(out, devpath, null);
                return out;
            }
            out.add("device " + devpath + " (subsystem " + e.subsystem() + ", modalias "
                    + (e.modalias() == null ? "none" : e.modalias()) + ")");
            RuleOutcome ro = engine.run(snapshot.rules(), e, SysfsDevice.of(root, devpath));
            if (ro.trace().isEmpty()) {
                out.add("rules: none matched an add event");
            }
            ro.trace().forEach(r -> out.add("rule matched: " + r));
            for (KmodBuiltin k : ro.kmodLoads()) {
                queries.addAll(k.queries(ro.env()));
            }
            if (queries.isEmpty()) {
                out.add("why not: no rule asks for a module for this device (no kmod load ran)");
            }
        } else {
            queries.add(target.strip());
        }
        ResolveContext ctx = snapshot.newContext();
        for (String q : queries) {
            lookup(out, ctx, q);
        }
        history(out, devpath, devpath == null ? target.strip() : null);
        return out;
    }

    private void lookup(List<String> out, ResolveContext ctx, String query) {
        out.add("kmod load " + query);
        Optional<String> norm = ModuleNames.normalizeAlias(query);
        if (norm.isEmpty()) {
            out.add("  why not: not a valid module name or alias");
            return;
        }
        String q = norm.get();
        List<ConfigEntry.Alias> conf = snapshot.modprobe().aliasesMatching(q);
        conf.forEach(a -> out.add("  alias pattern " + a.pattern() + " -> " + a.module() + " (" + a.file() + ":" + a.line() + ")"));
        List<String> indexed = modulesAlias(q);
        String shadow = conf.isEmpty() ? "" : " (not used: modprobe.d aliases come first)";
        indexed.forEach(l -> out.add("  alias pattern " + l + shadow));
        List<ModuleRef> mods;
        try {
            mods = ctx.lookup(query);
        } catch (ResolveContext.InvalidNameException e) {
            mods = List.of();
        }
        if (mods.isEmpty()) {
            out.add("  why not: no module answers to " + query + " (no alias, module or builtin matches)");
            return;
        }
        for (ModuleRef m : mods) {
            module(out, ctx, m, query);
        }
    }

    private void module(List<String> out, ResolveContext ctx, ModuleRef m, String query) {
        out.add("  module " + m.name() + (m.alias() != null ? " (via " + m.alias() + ")" : ""));
        var config = snapshot.modprobe();
        List<String> why = new ArrayList<>();
        for (ConfigEntry e : config.entries()) {
            if (e instanceof ConfigEntry.Blacklist b && b.module().equals(m.name())) {
                out.add("    blacklist " + b.module() + " (" + b.file() + ":" + b.line() + ")");
                // udev's kmod builtin applies the blacklist to every load, by alias or name
                why.add("blacklisted at " + b.file() + ":" + b.line());
            }
        }
        ctx.denied(m).ifPresent(d -> out.add("    deny " + d.module() + " (" + d.where() + ")"));
        config.optionLines(m.name(), m.alias()).forEach(o ->
                out.add("    options " + o.module() + " " + o.options() + " (" + o.file() + ":" + o.line() + ")"));
        config.install(m.name()).ifPresent(i ->
                out.add("    install " + i.pattern() + " " + i.command() + " (" + i.file() + ":" + i.line() + ")"));
        ModuleState st = m.builtin() ? ModuleState.BUILTIN : kernel.state(m.name());
        LoadPlan plan = ctx.plan(m, query, null, false, n -> kernel.state(n) == ModuleState.BUILTIN);
        out.add("    plan:");
        for (LoadStep s : plan.steps()) {
            out.add("      " + step(s) + (s.required() ? "" : " (softdep)"));
            if (s instanceof LoadStep.Denied d && s.required() && !inKernel(d.module()) && !inKernel(d.denied())) {
                why.add((d.denied().equals(d.module()) ? d.module() : "its dependency " + d.denied())
                        + " is denied at " + d.where());
            }
        }
        out.add("    state: " + st.name().toLowerCase());
        if (st == ModuleState.BUILTIN) {
            why.add("built into the kernel");
        } else if (st == ModuleState.LIVE) {
            why.add("already live in the kernel");
        }
        why.forEach(w -> out.add("    why not: " + w));
        if (why.isEmpty()) {
            out.add("    verdict: would load");
        }
    }

    private boolean inKernel(String module) {
        ModuleState st = kernel.state(module);
        return st == ModuleState.LIVE || st == ModuleState.BUILTIN;
    }

    private static String step(LoadStep s) {
        if (s instanceof LoadStep.Denied d) {
            return step(d.step()) + " [denied: " + (d.denied().equals(d.module()) ? "" : "dependency " + d.denied()
                    + " ") + "at " + d.where() + "]";
        }
        if (s instanceof LoadStep.Insert i) {
            return "insmod " + i.path() + (i.options().isBlank() ? "" : " " + i.options().strip());
        } else if (s instanceof LoadStep.Install i) {
            return "install " + i.shellCommand();
        } else if (s instanceof LoadStep.Builtin b) {
            return "builtin " + b.module();
        }
        return "missing " + s.module() + " (no file in the index)";
    }

    /** The stored {@code modules.alias} patterns matching {@code q}, as "PATTERN -> MODULE (FILE:LINE)". */
    private List<String> modulesAlias(String q) {
        Path f = snapshot.modulesDir().resolve("modules.alias");
        List<String> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null && n++ < MAX_ALIAS_LINES) {
                if (!line.startsWith("alias ")) {
                    continue;
                }
                String[] p = line.split("\\s+");
                if (p.length >= 3 && Fnmatch.fnmatch(p[1], q)) {
                    out.add(p[1] + " -> " + p[2] + " (" + f + ":" + n + ")");
                }
            }
        } catch (IOException e) {
            out.add("(" + f + " unreadable: " + e.getMessage() + ")");
        }
        return out;
    }

    private void history(List<String> out, String devpath, String modalias) {
        if (events == null) {
            out.add("history: no daemon answered, no event history");
            return;
        }
        // a modalias or name: the uevents that carried it, and the requests (kernel, command line) for it
        List<EventRecord> recs = devpath != null ? events.forDevpath(devpath)
                : events.records().stream().filter(r -> modalias.equals(r.modalias()) || modalias.equals(r.request()))
                .toList();
        if (recs.isEmpty()) {
            out.add("history: no event for it in the daemon's log");
            return;
        }
        out.add("history:");
        for (EventRecord r : recs) {
            StringBuilder sb = new StringBuilder("  " + (r.source() == EventRecord.Source.UEVENT
                    ? "seq " + r.seqnum() + " " + r.action() : r.subject()) + " at " + r.received()
                    + " (" + r.latency().toMillis() + " ms)");
            if (r.outcomes().isEmpty()) {
                sb.append(": no module asked for");
            }
            for (EventRecord.Outcome o : r.outcomes()) {
                sb.append(": ").append(o.what()).append(' ').append(o.result().name().toLowerCase());
                if (o.errno() != null) {
                    sb.append(" with ").append(o.errno().name());
                }
                if (o.detail() != null && !o.detail().isEmpty()) {
                    sb.append(" (").append(o.detail()).append(')');
                }
                if (o.origin() != null && r.source() == EventRecord.Source.UEVENT) {
                    sb.append(" [").append(o.origin()).append(']');
                }
            }
            out.add(sb.toString());
        }
        EventRecord last = recs.get(recs.size() - 1);
        for (EventRecord.Outcome o : last.outcomes()) {
            if (o.result() == EventRecord.Result.DENIED) {
                out.add("why not: the last load of " + o.what() + " was refused (" + o.detail() + ")");
            } else if (o.result() == EventRecord.Result.FAILED) {
                out.add("why not: the last load of " + o.what() + " failed"
                        + (o.errno() != null ? " with " + o.errno().name() : "")
                        + (o.detail() != null ? " (" + o.detail() + ")" : ""));
            }
        }
    }
}
