package org.lkmd.cli;

import org.lkmd.base.Root;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.kernel.Kernel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Base of every verb: the global options (own or the parent's), the output streams, and the
 * {@link Kernel} that {@link Main} wires in. Verbs return their exit code.
 */
public abstract class Verb implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    GlobalOptions globals;

    /** The root: the verb's own {@code --root}, else the one given before the verb name, else {@code /}. */
    protected Root root() {
        if (globals.root != null) {
            return Root.of(globals.root);
        }
        return main.globals.root != null ? Root.of(main.globals.root) : Root.system();
    }

    /** {@code --kernel-release} given before or after the verb name; null when not given. */
    protected String releaseOption() {
        return globals.kernelRelease != null ? globals.kernelRelease : main.globals.kernelRelease;
    }

    protected Kernel kernel() {
        return main.context().kernelFor(root(), releaseOption());
    }

    protected PrintStream out() {
        return main.context().out();
    }

    protected PrintStream err() {
        return main.context().err();
    }

    /**
     * A connection to the daemon's control socket under the root; empty when no daemon listens
     * there, after {@code lkmd VERB: no daemon is running (no SOCKET)} on stderr (the verb exits 1).
     */
    protected Optional<ControlClient> connectDaemon(String verb) throws IOException {
        Optional<ControlClient> c = ControlClient.connect(root());
        if (c.isEmpty()) {
            err().println("lkmd " + verb + ": no daemon is running (no " + root().resolve(ControlCodec.SOCKET) + ")");
        }
        return c;
    }
}
