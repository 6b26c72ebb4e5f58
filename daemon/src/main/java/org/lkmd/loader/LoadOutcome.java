package org.lkmd.loader;

import org.lkmd.kernel.Errno;
import org.lkmd.modprobe.LoadPlan;

import java.util.List;

/**
 * What running one {@link LoadPlan} did: the overall status, and each step's. A failed required
 * step makes the plan {@link Status#FAILED} and carries kmod's wording in {@link #message()}
 * (without the {@code modprobe: ERROR: } prefix, which the caller adds); failures of softdep steps
 * are recorded in {@link #steps()} and otherwise ignored.
 *
 * @param module  the plan's target module
 * @param status  the target's status, or FAILED when a required step failed, DENIED when a required
 *                step was refused by a {@code deny} line (then no step was taken)
 * @param errno   the failing step's errno (ETIMEDOUT for a hook killed at its time limit, EINVAL for
 *                a hook's non-zero exit, as libkmod reports it); null unless FAILED
 * @param message kmod's message for the failure; null unless FAILED
 * @param steps   one entry per step run, in order
 */
public record LoadOutcome(String module, Status status, Errno errno, String message, List<Step> steps) {

    public LoadOutcome {
        steps = List.copyOf(steps);
    }

    public enum Status {
        /** Inserted by this call (or by a concurrent caller this call waited for). */
        LOADED,
        /** Already live: nothing to do, or the kernel answered EEXIST. */
        ALREADY_LOADED,
        /** Built into the kernel. */
        BUILTIN,
        /** An install command ran instead of the insert, and exited 0. */
        INSTALL_RAN,
        /** A dry run: the step would have been taken. */
        DRY_RUN,
        FAILED,
        /** Refused by a {@code deny} line (lkmd's own): EPERM, nothing taken. */
        DENIED
    }

    /**
     * One step's result. {@code exitStatus} is the install command's, -1 for other steps;
     * {@code fromCache} when the failure was answered from the {@link FailureCache}, not tried.
     */
    public record Step(String module, Status status, boolean required, Errno errno, int exitStatus, String message,
                       boolean fromCache) {
        public Step(String module, Status status, boolean required, Errno errno, int exitStatus, String message) {
            this(module, status, required, errno, exitStatus, message, false);
        }

        public boolean failed() {
            return status == Status.FAILED || status == Status.DENIED;
        }
    }

    /** True when a required step failed or was denied. */
    public boolean failed() {
        return status == Status.FAILED || status == Status.DENIED;
    }
}
