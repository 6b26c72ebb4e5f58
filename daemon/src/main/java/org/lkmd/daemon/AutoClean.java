package org.lkmd.daemon;

import org.lkmd.base.LogFields;
import org.lkmd.config.DaemonConfig;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.kernel.LoadedModule;
import org.lkmd.kernel.ModuleState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Opt-in unloading of idle modules ({@code [autoclean]}). Only modules lkmd itself loaded (as its
 * event log reports them: the target of a load and the dependencies loaded with it) are ever
 * candidates; never a builtin one, never one in {@code keep}, never one that was already in
 * {@code /proc/modules} when the daemon started (loaded by the kernel, the initramfs or an
 * administrator) unless lkmd itself loaded it again later. A candidate is unloaded
 * ({@code delete_module} with {@code O_NONBLOCK}) once every sweep for {@code idle_minutes} has
 * found it live, with refcount 0, no holders and <em>no bound device</em>: a NIC or HID driver
 * bound to a present device shows refcount 0 and no holders, but its devices are linked under
 * {@code /sys/module/NAME/drivers/*}{@code /} ({@link Kernel#boundDevices}); so a driver is
 * unloaded only once its devices are gone. Sweeps only see the module at sweep time, so "idle"
 * means "unused at every look", not a kernel-side usage clock. Every unload is logged.
 * Thread-safe: records arrive on worker threads, sweeps run on one scheduler thread.
 */
public final class AutoClean {
    private static final Logger log = LoggerFactory.getLogger(AutoClean.class);

    private final Kernel kernel;
    private final Clock clock;
    private final Supplier<DaemonConfig.Autoclean> config;
    /** Modules lkmd loaded, with when. */
    private final Map<String, Instant> ours = new TreeMap<>();
    /** Since when each candidate has been seen unused. */
    private final Map<String, Instant> idleSince = new TreeMap<>();
    /** Modules live when the daemon started: never candidates, until lkmd itself loads one again. */
    private final Set<String> preloaded = new TreeSet<>();
    private long unloaded;

    /** Knowing of no module loaded before lkmd. */
    public AutoClean(Kernel kernel, Clock clock, Supplier<DaemonConfig.Autoclean> config) {
        this(kernel, clock, config, List.of());
    }

    /** @param preloaded the modules loaded before lkmd started (see {@link #loadedNow}) */
    public AutoClean(Kernel kernel, Clock clock, Supplier<DaemonConfig.Autoclean> config, Collection<String> preloaded) {
        this.kernel = kernel;
        this.clock = clock;
        this.config = config;
        this.preloaded.addAll(preloaded);
    }

    /** The modules in the kernel's {@code /proc/modules} now: at the daemon's start, those loaded before it. */
    public static List<String> loadedNow(Kernel kernel) {
        return kernel.loadedModules().stream().map(LoadedModule::name).toList();
    }

    /** Feeds one event record: remembers every module it loaded. Subscribe this to the {@link EventLog}. */
    public synchronized void record(EventRecord r) {
        for (EventRecord.Outcome o : r.outcomes()) {
            if (o.result() != EventRecord.Result.LOADED) {
                continue;
            }
            // the kernel took lkmd's insert of the target: it was not loaded then, whoever loaded it before
            preloaded.remove(o.what());
            ours.put(o.what(), r.received());
            idleSince.remove(o.what());
            if (o.detail() != null && !o.detail().isBlank()) {
                for (String dep : o.detail().strip().split(" ")) {
                    if (!preloaded.contains(dep)) {
                        ours.put(dep, r.received());
                        idleSince.remove(dep);
                    }
                }
            }
        }
    }

    /** Looks at every candidate once; returns the modules unloaded. */
    public synchronized List<String> sweep() {
        DaemonConfig.Autoclean c = config.get();
        List<String> done = new ArrayList<>();
        if (!c.enabled()) {
            return done;
        }
        Instant now = clock.instant();
        for (String m : new ArrayList<>(ours.keySet())) {
            if (c.keep().contains(m)) {
                continue;
            }
            ModuleState st = kernel.state(m);
            if (st == ModuleState.ABSENT || st == ModuleState.BUILTIN) {
                ours.remove(m); // removed by someone else, or never ours to remove
                idleSince.remove(m);
                continue;
            }
            if (st != ModuleState.LIVE || kernel.refcount(m) != 0 || !kernel.holders(m).isEmpty()
                    || !kernel.boundDevices(m).isEmpty()) {
                idleSince.remove(m);
                continue;
            }
            Instant since = idleSince.computeIfAbsent(m, k -> now);
            Duration idle = Duration.between(since, now);
            if (idle.compareTo(c.idle()) < 0) {
                continue;
            }
            try {
                kernel.deleteModule(m, Kernel.O_NONBLOCK);
                log.atInfo().addKeyValue(LogFields.MODULE, m).log(
                        "Unloaded module {}: loaded by lkmd at {}, unused for {} min (no device bound, no users)",
                        m, ours.get(m), idle.toMinutes());
                ours.remove(m);
                idleSince.remove(m);
                unloaded++;
                done.add(m);
            } catch (KernelException e) {
                log.atWarn().addKeyValue(LogFields.MODULE, m).log("Failed to unload idle module {}: {}, ignoring", m,
                        e.getMessage());
                idleSince.remove(m);
            }
        }
        return done;
    }

    /** Modules lkmd loaded and still considers (for status). */
    public synchronized List<String> candidates() {
        return List.copyOf(ours.keySet());
    }

    public synchronized long unloaded() {
        return unloaded;
    }
}
