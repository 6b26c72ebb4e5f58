package org.lkmd.cli;

import org.lkmd.kernel.LsmodTable;
import picocli.CommandLine.Command;

/**
 * {@code lsmod}: {@code /proc/modules} as kmod's lsmod prints it. While the daemon runs, the
 * launcher has the C client ask the daemon for the same table instead (no JVM starts).
 */
@Command(name = "lsmod", description = "Show the status of modules in the Linux kernel.")
public final class Lsmod extends Verb {

    @Override
    public Integer call() {
        out().print(LsmodTable.of(kernel()));
        return 0;
    }
}
