package org.lkmd.modprobe;

import java.nio.file.Path;

/**
 * One step of a {@link LoadPlan}, in the order modprobe takes them. {@code required} is false for
 * softdep modules, whose failures modprobe ignores.
 */
public sealed interface LoadStep {

    /** The module (normalized name) this step is for. */
    String module();

    boolean required();

    /** Insert the module file with these options ({@code insmod PATH OPTIONS}). */
    record Insert(String module, Path path, String options, boolean required) implements LoadStep {
    }

    /**
     * Run the install command instead of inserting ({@code install COMMAND OPTIONS}). The command is
     * as configured; {@link #shellCommand()} is what runs, with {@code $CMDLINE_OPTS} replaced.
     */
    record Install(String module, String command, String options, boolean required) implements LoadStep {
        public String shellCommand() {
            return command.replace("$CMDLINE_OPTS", options);
        }
    }

    /** Built into the kernel: nothing to load ({@code builtin NAME}). */
    record Builtin(String module, boolean required) implements LoadStep {
    }

    /** Named by the configuration but with no file in the index: loading it fails (ENOSYS). */
    record Missing(String module, boolean required) implements LoadStep {
    }
}
