package org.lkmd.modprobe;

/**
 * Who asked for a probe, as the event log, {@code monitor} and {@code explain} show it: a rule's
 * {@code kmod load} for a uevent, the kernel's module helper ({@code request_module()}), or a
 * person at the command line.
 */
public sealed interface ProbeOrigin {

    /** One line for logs and the event log: {@code rule FILE:LINE}, {@code kernel request fs-vfat}, {@code command line}. */
    String describe();

    /**
     * A {@code RUN{builtin}="kmod load"} for a uevent.
     *
     * @param rule    the rule's {@code file:line}
     * @param devpath the event's device
     * @param seqnum  the event's SEQNUM (-1 for events made by a sysfs scan)
     */
    record Uevent(String rule, String devpath, long seqnum) implements ProbeOrigin {
        @Override
        public String describe() {
            return "rule " + rule;
        }
    }

    /** The kernel's {@code request_module()}, through its helper: {@code request} is what it asked for ({@code fs-vfat}). */
    record KernelRequest(String request) implements ProbeOrigin {
        @Override
        public String describe() {
            return "kernel request " + request;
        }
    }

    /** {@code modprobe} run by a person or a script. */
    record CommandLine() implements ProbeOrigin {
        @Override
        public String describe() {
            return "command line";
        }
    }
}
