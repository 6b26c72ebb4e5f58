package org.lkmd.base;

/**
 * The structured fields lkmd's log records carry, as SLF4J MDC keys. Under systemd they become
 * journal fields of the same name ({@code journalctl -u lkmd MODULE=e1000}); the keys are written
 * as journal field names (upper case, digits, underscore) so that no mapping stands between the two.
 */
public final class LogFields {
    private LogFields() {
    }

    /** The module a record is about ({@code e1000}, as the module index names it). */
    public static final String MODULE = "MODULE";
    /** The uevent's device path ({@code /devices/pci0000:00/0000:00:03.0}). */
    public static final String DEVPATH = "DEVPATH";
    /** The uevent's sequence number (-1 for an event made by a sysfs scan). */
    public static final String SEQNUM = "SEQNUM";
    /** Who asked for the load: {@link #UEVENT}, {@link #KERNEL_REQUEST} or {@link #COMMAND_LINE}. */
    public static final String ORIGIN = "ORIGIN";

    public static final String UEVENT = "uevent";
    public static final String KERNEL_REQUEST = "kernel-request";
    public static final String COMMAND_LINE = "command-line";
}
