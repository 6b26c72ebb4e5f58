package org.lkmd.cli;

import picocli.CommandLine.Command;

/** {@code modprobe}: being written (resolution core). */
@Command(name = "modprobe", description = "Add and remove modules from the Linux kernel.")
public final class Modprobe extends Verb {
    @Override
    public Integer call() {
        err().println("modprobe: not implemented yet");
        return 1;
    }
}
