package org.lkmd.uevent;

import java.util.HashMap;
import java.util.Map;

/**
 * A multiset of devpaths answering "is any member this path, an ancestor or a descendant of it?"
 * in O(depth) lookups. Ancestry is a prefix match ending at {@code '/'}: {@code /devices/pci0/a} is
 * under {@code /devices/pci0} but not under {@code /devices/pc}. Not thread-safe.
 */
final class DevpathSet {
    /** How many times each path was added. */
    private final Map<String, Integer> exact = new HashMap<>();
    /** For every path and each of its ancestors: how many members are at or below it. */
    private final Map<String, Integer> atOrBelow = new HashMap<>();

    void add(String devpath) {
        exact.merge(devpath, 1, Integer::sum);
        for (String p = devpath; p != null; p = parent(p)) {
            atOrBelow.merge(p, 1, Integer::sum);
        }
    }

    void remove(String devpath) {
        if (!exact.containsKey(devpath)) {
            throw new IllegalStateException("not a member: " + devpath);
        }
        exact.computeIfPresent(devpath, (k, n) -> n == 1 ? null : n - 1);
        for (String p = devpath; p != null; p = parent(p)) {
            atOrBelow.computeIfPresent(p, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** True when a member equals {@code devpath}, is an ancestor of it or lies below it. */
    boolean conflicts(String devpath) {
        if (atOrBelow.containsKey(devpath)) {
            return true; // itself or a descendant
        }
        for (String p = parent(devpath); p != null; p = parent(p)) {
            if (exact.containsKey(p)) {
                return true;
            }
        }
        return false;
    }

    boolean isEmpty() {
        return exact.isEmpty();
    }

    /** The devpath one level up, or null at the top ({@code /devices} has none). */
    static String parent(String devpath) {
        int slash = devpath.lastIndexOf('/');
        return slash > 0 ? devpath.substring(0, slash) : null;
    }
}
