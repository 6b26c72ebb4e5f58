package org.lkmd.loader;

import org.lkmd.modprobe.ProbeRequest;

import java.nio.file.Path;
import java.util.List;

/**
 * What one {@link ProbeRequest} came to: a result per module the name or alias stands for, in
 * lookup order; none when nothing answers to it.
 *
 * @param modulesDir the module directory the lookup searched, as kmod names it when nothing is found
 */
public record ProbeOutcome(ProbeRequest request, Path modulesDir, List<Prober.Result> modules) {
    public ProbeOutcome {
        modules = List.copyOf(modules);
    }

    /** Nothing answers to the name or alias (or libkmod would refuse to look it up). */
    public boolean notFound() {
        return modules.isEmpty();
    }

    /** modprobe's words for {@link #notFound()} (without its prefix and priority). */
    public String notFoundMessage() {
        return "Module " + request.query() + " not found in directory " + modulesDir;
    }

    /** modprobe's exit status: 1 when nothing was found or the last module failed (it goes on through the list). */
    public int exitCode() {
        return notFound() || modules.get(modules.size() - 1).failed() ? 1 : 0;
    }
}
