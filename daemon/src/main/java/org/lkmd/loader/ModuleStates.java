package org.lkmd.loader;

import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.ModuleState;

import java.util.HashMap;
import java.util.Map;

/**
 * "Is it in the kernel already?" for one probe: each module's state is read from the kernel
 * ({@code /sys/module/NAME}) the first time the probe asks, then remembered; a module the probe
 * itself put in is known live without asking again. After an install command ran, everything is
 * forgotten, since a command may load anything. A module a concurrent load puts in meanwhile is
 * caught by the kernel's EEXIST, which the loader takes as success. Not thread-safe: one per probe.
 */
public final class ModuleStates {
    private final Kernel kernel;
    private final Map<String, ModuleState> known = new HashMap<>();

    public ModuleStates(Kernel kernel) {
        this.kernel = kernel;
    }

    /** The module's state, read from the kernel at most once in this probe. */
    public ModuleState of(String module) {
        return known.computeIfAbsent(module, kernel::state);
    }

    /** True when the module is live or built in. */
    public boolean inKernel(String module) {
        ModuleState s = of(module);
        return s == ModuleState.LIVE || s == ModuleState.BUILTIN;
    }

    /** This probe put the module in (or the kernel said EEXIST). */
    void live(String module) {
        known.put(module, ModuleState.LIVE);
    }

    /** An install command ran: any module may have come or gone. */
    void forgetAll() {
        known.clear();
    }
}
