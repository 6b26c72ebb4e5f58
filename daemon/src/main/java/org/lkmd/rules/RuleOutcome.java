package org.lkmd.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the rules made of one event.
 *
 * @param runs    RUN entries in the order they run (udev's run list: {@code =} and {@code :=}
 *                clear earlier entries, {@code :=} freezes the list, the same command added twice runs twice, as udev 252's
 *                {@code udevadm test} lists it twice)
 * @param env     the event's properties after all ENV assignments
 * @param trace   the rules whose conditions all held and whose assignments were applied, in order
 */
public record RuleOutcome(List<RunEntry> runs, Map<String, String> env, List<RuleSource> trace) {

    public RuleOutcome {
        runs = List.copyOf(runs);
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        trace = List.copyOf(trace);
    }

    /** The {@code kmod load} entries, in order. */
    public List<KmodBuiltin> kmodLoads() {
        return runs.stream().flatMap(r -> r.kmod().stream()).toList();
    }
}
