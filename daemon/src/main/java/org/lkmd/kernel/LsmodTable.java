package org.lkmd.kernel;

import java.util.List;

/**
 * The modules in the kernel as kmod's {@code lsmod} prints them: a header, then a line per module
 * (name, size, use count, users). The one writer of that text: the {@code lsmod} tool prints it,
 * and the daemon sends it to the C client that {@code lkmd lsmod} runs while the daemon is up.
 */
public final class LsmodTable {
    private LsmodTable() {
    }

    /** The table of {@code modules}, in their order (the kernel's: newest first). */
    public static String of(List<LoadedModule> modules) {
        StringBuilder sb = new StringBuilder("Module                  Size  Used by\n");
        for (LoadedModule m : modules) {
            sb.append(String.format("%-19s %8d  %s", m.name(), m.size(), m.refcount() < 0 ? "-" : Integer.toString(m.refcount())));
            if (!m.usedBy().isEmpty()) {
                sb.append(' ').append(String.join(",", m.usedBy()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
