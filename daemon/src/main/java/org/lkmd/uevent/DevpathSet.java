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
        add(chain(devpath));
    }

    /** Adds a path given as its {@link #chain}: the queue keeps each event's chains, not to cut them anew. */
    void add(String[] chain) {
        exact.merge(chain[0], 1, Integer::sum);
        for (String p : chain) {
            atOrBelow.merge(p, 1, Integer::sum);
        }
    }

    void remove(String devpath) {
        remove(chain(devpath));
    }

    void remove(String[] chain) {
        if (!exact.containsKey(chain[0])) {
            throw new IllegalStateException("not a member: " + chain[0]);
        }
        exact.computeIfPresent(chain[0], (k, n) -> n == 1 ? null : n - 1);
        for (String p : chain) {
            atOrBelow.computeIfPresent(p, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** True when a member equals {@code devpath}, is an ancestor of it or lies below it. */
    boolean conflicts(String devpath) {
        return conflicts(chain(devpath));
    }

    boolean conflicts(String[] chain) {
        if (atOrBelow.containsKey(chain[0])) {
            return true; // itself or a descendant
        }
        for (int i = 1; i < chain.length; i++) {
            if (exact.containsKey(chain[i])) {
                return true;
            }
        }
        return false;
    }

    void clear() {
        exact.clear();
        atOrBelow.clear();
    }

    /** The path followed by each of its ancestors, nearest first ({@code /a/b} gives {@code /a/b}, {@code /a}). */
    static String[] chain(String devpath) {
        int n = 1;
        for (String p = parent(devpath); p != null; p = parent(p)) {
            n++;
        }
        String[] out = new String[n];
        String p = devpath;
        for (int i = 0; i < n; i++, p = parent(p)) {
            out[i] = p;
        }
        return out;
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
