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

    /**
     * A step lkmd may not take: {@code denied} (the step's own module, or one of its hard
     * dependencies) is named by a {@code deny} line at {@code where} (FILE:LINE). When the denied
     * module is in the kernel already (loaded before the line was written), nothing needs loading
     * for it and {@code step} is taken as usual.
     */
    record Denied(LoadStep step, String denied, String where) implements LoadStep {
        @Override
        public String module() {
            return step.module();
        }

        @Override
        public boolean required() {
            return step.required();
        }

        /** kmod-style words for the refusal, without a program prefix. */
        public String message() {
            return "could not insert '" + module() + "': "
                    + (denied.equals(module()) ? "denied" : "its dependency '" + denied + "' is denied")
                    + " by " + where;
        }
    }
}
