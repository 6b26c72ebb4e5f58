package org.lkmd.cli;

import org.lkmd.base.Root;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.LinuxKernel;
import org.lkmd.kernel.SimulatedKernel;

import java.io.IOException;
import java.nio.file.Files;

/** Chooses the {@link Kernel} for a root: the simulated one over any root but the real {@code /}. */
final class Kernels {
    private Kernels() {
    }

    static Kernel forRoot(Root root, String release) {
        String rel = release != null ? release : releaseOf(root);
        if (root.isSystem()) {
            return LinuxKernel.open(root, rel);
        }
        // any other root is a fake tree: the simulated kernel writes its sysfs and procfs there
        return SimulatedKernel.on(root).release(rel).build();
    }

    /** The release of the kernel behind a root: its {@code /proc/sys/kernel/osrelease}, else {@code uname -r}. */
    static String releaseOf(Root root) {
        try {
            String s = Files.readString(root.resolve("/proc/sys/kernel/osrelease")).strip();
            if (!s.isEmpty()) {
                return s;
            }
        } catch (IOException e) {
            // a fake root without proc: fall back to the running kernel, as kmod does
        }
        return System.getProperty("os.version");
    }
}
