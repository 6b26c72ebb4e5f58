package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Diagnostic;
import org.lkmd.index.ModuleIndex;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.rules.RuleSet;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Everything the daemon decides with, built together and swapped whole: daemon config, rules,
 * modprobe.d and the module index. Immutable.
 *
 * @param generation  1 for the first, one more per successful reload
 * @param modulesDir  the module directory the index was read from ({@code /lib/modules/<release>}
 *                    under the root)
 * @param modprobeInputs the modprobe.d files and the index as they were when reading them began
 * @param diagnostics what loading it reported (bad lines skipped, warnings)
 */
public record Snapshot(long generation, Instant loadedAt, DaemonConfig config, RuleSet rules,
                       ModprobeConfig modprobe, ModuleIndex index, Path modulesDir, String release,
                       ModprobeInputs modprobeInputs, List<Diagnostic> diagnostics) {
    public Snapshot {
        diagnostics = List.copyOf(diagnostics);
    }

    /** A fresh resolution context over this snapshot's modprobe.d and index, for one event or request. */
    public ResolveContext newContext() {
        return new ResolveContext(modprobe, index, modulesDir);
    }
}
