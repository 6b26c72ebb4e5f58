package org.lkmd.cli;

import org.lkmd.kernel.LoadedModule;
import picocli.CommandLine.Command;

import java.util.List;

/** {@code lsmod}: {@code /proc/modules} as kmod's lsmod prints it. */
@Command(name = "lsmod", description = "Show the status of modules in the Linux kernel.")
public final class Lsmod extends Verb {

    @Override
    public Integer call() {
        List<LoadedModule> mods = kernel().loadedModules();
        StringBuilder sb = new StringBuilder("Module                  Size  Used by\n");
        for (LoadedModule m : mods) {
            sb.append(String.format("%-19s %8d  %s", m.name(), m.size(), m.refcount() < 0 ? "-" : Integer.toString(m.refcount())));
            if (!m.usedBy().isEmpty()) {
                sb.append(' ').append(String.join(",", m.usedBy()));
            }
            sb.append('\n');
        }
        out().print(sb);
        return 0;
    }
}
