package org.lkmd.eventlog;

import org.lkmd.kernel.Errno;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the daemon did with one uevent, or with one load request that did not come as a uevent
 * (the kernel's module helper, {@code modprobe} through the daemon): the rules that matched and
 * each module outcome with its origin, for {@code status}, {@code monitor} and {@code explain}.
 *
 * @param seqnum   the kernel's SEQNUM (-1 for events made by a scan)
 * @param modalias the event's MODALIAS, or null
 * @param rules    file:line of every rule that matched, in order
 * @param outcomes one entry per module a {@code kmod load} asked for, and per RUN program
 * @param properties the event's properties as received ({@code SYNTH_UUID} among them for a triggered
 *                   event), for {@code monitor --property} and {@code trigger --settle}
 * @param source   what the record is of: a uevent, or a request that came another way
 * @param request  for a request, the name or alias asked for ({@code fs-vfat}); null for a uevent
 */
public record EventRecord(long seqnum, String action, String devpath, String subsystem, String modalias,
                          Instant received, Duration latency, List<String> rules, List<Outcome> outcomes,
                          Map<String, String> properties, Source source, String request) {

    public EventRecord {
        rules = List.copyOf(rules);
        outcomes = List.copyOf(outcomes);
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    /** A uevent's record. */
    public EventRecord(long seqnum, String action, String devpath, String subsystem, String modalias,
                       Instant received, Duration latency, List<String> rules, List<Outcome> outcomes,
                       Map<String, String> properties) {
        this(seqnum, action, devpath, subsystem, modalias, received, latency, rules, outcomes, properties,
                Source.UEVENT, null);
    }

    /** A record without the event's properties. */
    public EventRecord(long seqnum, String action, String devpath, String subsystem, String modalias,
                       Instant received, Duration latency, List<String> rules, List<Outcome> outcomes) {
        this(seqnum, action, devpath, subsystem, modalias, received, latency, rules, outcomes, Map.of());
    }

    /**
     * The record of a load request that did not come as a uevent: no SEQNUM, device or rules;
     * {@code action} is {@code "request"}.
     */
    public static EventRecord ofRequest(Source source, String request, Instant received, Duration latency,
                                        List<Outcome> outcomes) {
        if (source == Source.UEVENT) {
            throw new IllegalArgumentException("a uevent's record has a device");
        }
        return new EventRecord(-1, "request", "", null, null, received, latency, List.of(), outcomes, Map.of(),
                source, request);
    }

    /** What came in, in a few words: {@code seq N DEVPATH}, {@code kernel request fs-vfat}, {@code command line vfat}. */
    public String subject() {
        return switch (source) {
            case UEVENT -> "seq " + seqnum + " " + devpath;
            case KERNEL_REQUEST -> "kernel request " + request;
            case COMMAND_LINE -> "command line " + request;
        };
    }

    /** Where a record came from. */
    public enum Source {
        /** A kernel uevent (or one made by a sysfs scan). */
        UEVENT,
        /** The kernel's {@code request_module()}, through its module helper. */
        KERNEL_REQUEST,
        /** {@code modprobe} run by a person, through the daemon. */
        COMMAND_LINE
    }

    /** The UUID a {@code trigger} wrote with the action ({@code SYNTH_UUID}), or null. */
    public String synthUuid() {
        return properties.get("SYNTH_UUID");
    }

    /** How one module (or program) fared. */
    public enum Result {
        LOADED, ALREADY_LOADED, BUILTIN, BLACKLISTED, NOT_FOUND, FAILED, DRY_RUN, PROGRAM_RAN, PROGRAM_FAILED,
        /** Refused by lkmd's {@code deny} line (named in the outcome's detail): nothing loaded. */
        DENIED
    }

    /**
     * @param what    the module name, or the program's command line
     * @param query   the name or alias that was looked up (MODALIAS for a bare {@code kmod load})
     * @param errno   for FAILED, the error; else null
     * @param detail  kmod's wording of a failure, the modules loaded with it, or the rule's file:line
     * @param origin  who asked for this module: {@code rule FILE:LINE}, {@code kernel request NAME},
     *                {@code command line}; null for a RUN program (its rule is in {@code detail})
     */
    public record Outcome(String what, String query, Result result, Errno errno, String detail, String origin) {
        /** An outcome without an origin. */
        public Outcome(String what, String query, Result result, Errno errno, String detail) {
            this(what, query, result, errno, detail, null);
        }
    }
}
