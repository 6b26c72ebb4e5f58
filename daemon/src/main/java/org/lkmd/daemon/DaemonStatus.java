package org.lkmd.daemon;

import org.lkmd.base.Diagnostic;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.loader.FailureCache;
import org.lkmd.uevent.DropReason;
import org.lkmd.uevent.EventQueue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What a running daemon reports at one instant, built whole per {@code status} request and handed
 * to the control side as it is (the control side reads no field of the daemon itself).
 *
 * @param started           when {@link Daemon#run()} began; null before
 * @param now               when this record was built
 * @param simulate          loads are planned, not made
 * @param generation        the snapshot in force, its build time, rule count, input files with
 *                          their modification times, and its diagnostics
 * @param queue             the event queue's counters, with the configured number of workers
 * @param events            events recorded since start, their outcomes by result, failures by errno
 * @param drops             uevents the source dropped, by reason; {@code overflows} the kernel
 *                          reported, {@code received} datagrams (netlink only), {@code delivered} events
 * @param resyncs           sysfs rescans after overflows and the devices they queued again
 * @param lastErrors        the newest failures, newest first (see {@link #lastErrors(List)})
 * @param lastReloadProblems diagnostics of the last reload that failed; {@code reloadsFailed} since start
 * @param autoclean         whether autoclean is enabled, and the modules it unloaded
 * @param failureCache      the failed inserts answered from memory until a reload or a changed file
 * @param initramfsDrift    modules loaded before lkmd that modprobe.d now blacklists, denies or gives
 *                          other parameters (found once, at start)
 */
public record DaemonStatus(long pid, Instant started, Instant now, boolean simulate, String release,
                           long generation, Instant loadedAt, int rules, Map<String, Instant> sources,
                           List<Diagnostic> diagnostics, EventQueue.Stats queue, int workers,
                           long events, Map<EventRecord.Result, Long> outcomes, Map<String, Long> failuresByErrno,
                           Map<DropReason, Long> drops, long overflows, OptionalLong received, long delivered,
                           long resyncs, long resyncedDevices, List<String> lastErrors,
                           List<Diagnostic> lastReloadProblems, long reloadsFailed,
                           boolean autoclean, long autocleanUnloaded, List<FailureCache.Entry> failureCache,
                           List<InitramfsDrift.Finding> initramfsDrift) {
    /** How many recent failures {@code status} lists. */
    static final int LAST_ERRORS = 10;

    public DaemonStatus {
        sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        diagnostics = List.copyOf(diagnostics);
        outcomes = Collections.unmodifiableMap(new LinkedHashMap<>(outcomes));
        failuresByErrno = Collections.unmodifiableMap(new LinkedHashMap<>(failuresByErrno));
        drops = Collections.unmodifiableMap(new LinkedHashMap<>(drops));
        lastErrors = List.copyOf(lastErrors);
        lastReloadProblems = List.copyOf(lastReloadProblems);
        failureCache = List.copyOf(failureCache);
        initramfsDrift = List.copyOf(initramfsDrift);
    }

    /** The newest failures, newest first, as "seq N DEVPATH: WHAT RESULT ERRNO (DETAIL)". */
    static List<String> lastErrors(List<EventRecord> records) {
        List<String> out = new ArrayList<>();
        for (int i = records.size() - 1; i >= 0 && out.size() < LAST_ERRORS; i--) {
            EventRecord r = records.get(i);
            for (EventRecord.Outcome x : r.outcomes()) {
                if (x.result() == EventRecord.Result.FAILED || x.result() == EventRecord.Result.PROGRAM_FAILED
                        || x.result() == EventRecord.Result.DENIED) {
                    out.add(r.subject() + ": " + x.what() + " "
                            + x.result().name().toLowerCase() + (x.errno() != null ? " " + x.errno().name() : "")
                            + (x.detail() != null && !x.detail().isEmpty() ? " (" + x.detail() + ")" : ""));
                }
            }
        }
        return out;
    }
}
