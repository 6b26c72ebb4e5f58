package org.lkmd.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every verb takes, before or after its name ({@code lkmd --root R modprobe} = {@code lkmd modprobe --root R}). */
public final class GlobalOptions {
    @Option(names = "--root", paramLabel = "DIR", description = "Resolve every system path under DIR (default /).")
    Path root;

    @Option(names = "--kernel-release", paramLabel = "REL", description = "Kernel release to use instead of the running kernel's.")
    String kernelRelease;
}
