package org.lkmd.cli;

import org.lkmd.base.Root;
import org.lkmd.kernel.Kernel;

import java.io.PrintStream;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What a verb needs from outside: where to print, and how to get a {@link Kernel} for a root and
 * an optional release override, and the environment. Tests pass their own; {@link Main#main}
 * passes the real ones.
 */
public record CliContext(PrintStream out, PrintStream err, BiFunction<Root, String, Kernel> kernels,
                         Map<String, String> env) {

    public CliContext(PrintStream out, PrintStream err, BiFunction<Root, String, Kernel> kernels) {
        this(out, err, kernels, Map.of());
    }

    public Kernel kernelFor(Root root, String release) {
        return kernels.apply(root, release);
    }
}
