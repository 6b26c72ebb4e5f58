package org.lkmd.rules;

import org.lkmd.base.Root;

import java.nio.file.Path;
import java.util.Optional;

/** udev's {@code [subsystem/sysname]attribute} notation, usable in ATTR names, {@code $attr} and TEST. */
final class SubsystemRef {
    private SubsystemRef() {
    }

    /** The attribute named by {@code [s/n]attr}; empty when malformed, the device is unknown or it has no such attribute. */
    static Optional<String> attribute(Root root, String ref) {
        String[] parts = split(ref);
        if (parts == null || parts[2].isEmpty()) {
            return Optional.empty();
        }
        return SysfsDevice.lookup(root, parts[0], parts[1]).flatMap(d -> d.attribute(parts[2]));
    }

    /** The path named by {@code [s/n]rest}, or empty. */
    static Optional<Path> path(Root root, String ref) {
        String[] parts = split(ref);
        if (parts == null) {
            return Optional.empty();
        }
        return SysfsDevice.lookup(root, parts[0], parts[1]).flatMap(Device::syspath)
                .map(p -> parts[2].isEmpty() ? p : p.resolve(parts[2]));
    }

    private static String[] split(String ref) {
        if (!ref.startsWith("[")) {
            return null;
        }
        int slash = ref.indexOf('/');
        int close = slash < 0 ? -1 : ref.indexOf(']', slash);
        if (slash < 0 || close < 0) {
            return null;
        }
        String attr = ref.substring(close + 1);
        if (attr.startsWith("/")) {
            attr = attr.substring(1);
        }
        return new String[]{ref.substring(1, slash), ref.substring(slash + 1, close), attr};
    }
}
