package org.lkmd.rules;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The device view rules see for ATTR, ATTRS, KERNELS, SUBSYSTEMS, DRIVERS, DRIVER, TEST and the
 * {@code $attr}, {@code $driver}, {@code $id} substitutions. An instance describes the device at
 * the time of one event; implementations may cache what they read and need not be thread-safe.
 */
public interface Device {

    /** The kernel name: the last devpath element, with {@code !} turned into {@code /} as udev does. */
    String sysname();

    /** The path under {@code /sys}, starting with {@code /devices/...}. */
    String devpath();

    /** The basename of the {@code subsystem} link, if any. */
    Optional<String> subsystem();

    /** The basename of the {@code driver} link, if any. */
    Optional<String> driver();

    /**
     * A sysfs attribute (a file below the device directory, {@code ../x} allowed while it stays
     * inside sysfs) with trailing newlines removed, or empty when it does not exist or cannot be
     * read. The symlinks {@code driver}, {@code subsystem} and {@code module} read as the basename
     * of their target.
     */
    Optional<String> attribute(String name);

    /** The nearest ancestor that is a device (its directory has a {@code uevent} file). */
    Optional<Device> parent();

    /** The device's directory (under the root), when it has one; TEST resolves relative paths there. */
    Optional<Path> syspath();
}
