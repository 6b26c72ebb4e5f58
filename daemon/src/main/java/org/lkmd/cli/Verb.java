package org.lkmd.cli;

import org.lkmd.base.Root;
import org.lkmd.kernel.Kernel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
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
}
