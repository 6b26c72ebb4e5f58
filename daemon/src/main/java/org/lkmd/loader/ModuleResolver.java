package org.lkmd.loader;

import org.lkmd.index.ModuleIndex;
import org.lkmd.modprobe.ModprobeConfig;

import java.nio.file.Path;

/**
 * Decides what kmod's modprobe would load for a name or alias, from one immutable configuration
 * snapshot (modprobe.d + module index). Stateless and thread-safe: each caller opens a
 * {@link ResolveContext} (libkmod's context: a pool of module objects and their flags) for one
 * command or one event.
 */
public final class ModuleResolver {
    private final ModprobeConfig config;
    private final ModuleIndex index;
    private final Path modulesDir;

    /**
     * @param modulesDir the directory module paths in {@code modules.dep} are relative to, as it is
     *                   printed ({@code /lib/modules/<release>} under the root)
     */
    public ModuleResolver(ModprobeConfig config, ModuleIndex index, Path modulesDir) {
        this.config = config;
        this.index = index;
        this.modulesDir = modulesDir;
    }

    public ModprobeConfig config() {
        return config;
    }

    public ModuleIndex index() {
        return index;
    }

    public Path modulesDir() {
        return modulesDir;
    }

    /** A fresh context for one command or event. */
    public ResolveContext newContext() {
        return new ResolveContext(this);
    }
}
