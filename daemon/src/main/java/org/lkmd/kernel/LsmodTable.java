package org.lkmd.kernel;

import java.util.List;

/**
 * The modules in the kernel as kmod's {@code lsmod} prints them: a header, then a line per module
 * of {@code /proc/modules} (name, size, use count) with its holders, read as libkmod reads them
 * ({@code /sys/module/<name>/holders} in the directory's order, not the users column of
 * {@code /proc/modules}, whose order differs). The one writer of that text: the {@code lsmod}
 * tool prints it, and the daemon sends it to the C client that {@code lkmd lsmod} runs while the
 * daemon is up.
 */
public final class LsmodTable {
    private LsmodTable() {
    }

    /** The table of the modules in {@code kernel} now, in the kernel's order (newest first). */
    public static String of(Kernel kernel) {
        StringBuilder sb = new StringBuilder("Module                  Size  Used by\n");
        for (LoadedModule m : kernel.loadedModules()) {
            sb.append(String.format("%-19s %8d  %s", m.name(), m.size(), m.refcount() < 0 ? "-" : Integer.toString(m.refcount())));
            List<String> holders = kernel.holders(m.name());
            if (!holders.isEmpty()) {
                sb.append(' ').append(String.join(",", holders));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
