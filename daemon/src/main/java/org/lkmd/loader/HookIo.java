package org.lkmd.loader;

import java.io.PrintStream;

/**
 * Where install/remove commands write: the process's own stdout/stderr ({@link #INHERIT}, what
 * kmod does and what the daemon wants under the journal), or streams the caller owns (an
 * in-process command line).
 */
public record HookIo(PrintStream out, PrintStream err) {
    public static final HookIo INHERIT = new HookIo(null, null);

    boolean inherits() {
        return out == null;
    }
}
