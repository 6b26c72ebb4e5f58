package org.lkmd.eventlog;

import org.lkmd.kernel.Errno;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the daemon did with one event: the rules that matched and each module outcome, for
 * {@code status}, {@code monitor} and {@code explain}.
 *
 * @param seqnum   the kernel's SEQNUM (-1 for events made by a scan)
 * @param modalias the event's MODALIAS, or null
 * @param rules    file:line of every rule that matched, in order
 * @param outcomes one entry per module a {@code kmod load} asked for, and per RUN program
 * @param properties the event's properties as received ({@code SYNTH_UUID} among them for a triggered
 *                   event), for {@code monitor --property} and {@code trigger --settle}
 */
public record EventRecord(long seqnum, String action, String devpath, String subsystem, String modalias,
                          Instant received, Duration latency, List<String> rules, List<Outcome> outcomes,
                          Map<String, String> properties) {

    public EventRecord {
        rules = List.copyOf(rules);
        outcomes = List.copyOf(outcomes);
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    /** A record without the event's properties. */
    public EventRecord(long seqnum, String action, String devpath, String subsystem, String modalias,
                       Instant received, Duration latency, List<String> rules, List<Outcome> outcomes) {
        this(seqnum, action, devpath, subsystem, modalias, received, latency, rules, outcomes, Map.of());
    }

    /** The UUID a {@code trigger} wrote with the action ({@code SYNTH_UUID}), or null. */
    public String synthUuid() {
        return properties.get("SYNTH_UUID");
    }

    /** How one module (or program) fared. */
    public enum Result {
        LOADED, ALREADY_LOADED, BUILTIN, BLACKLISTED, NOT_FOUND, FAILED, DRY_RUN, PROGRAM_RAN, PROGRAM_FAILED
    }

    /**
     * @param what    the module name, or the program's command line
     * @param query   the name or alias that was looked up (MODALIAS for a bare {@code kmod load})
     * @param errno   for FAILED, the error; else null
     * @param detail  kmod's wording of a failure, the modules loaded with it, or the rule's file:line
     */
    public record Outcome(String what, String query, Result result, Errno errno, String detail) {
    }
}
