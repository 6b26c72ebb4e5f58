package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.config.Diagnostic;
import org.lkmd.loader.ModuleResolver;
import org.lkmd.rules.RuleSet;

import java.time.Instant;
import java.util.List;

/**
 * Everything the daemon decides with, built together and swapped whole: daemon config, rules,
 * modprobe.d and the module index (inside the resolver). Immutable.
 *
 * @param generation  1 for the first, one more per successful reload
 * @param diagnostics what loading it reported (bad lines skipped, warnings)
 */
public record Snapshot(long generation, Instant loadedAt, DaemonConfig config, RuleSet rules,
                       ModuleResolver resolver, String release, List<Diagnostic> diagnostics) {
    public Snapshot {
        diagnostics = List.copyOf(diagnostics);
    }
}
