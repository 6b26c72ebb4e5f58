package org.lkmd.depmod;

import org.lkmd.elf.KoFile;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Symbol ownership, direct dependencies and kmod's topological order.
 *
 * <ol>
 *   <li>Kernel symbols (from {@code -E Module.symvers} or {@code -F System.map}) are entered
 *       without owner; then each module's exports in array order, a later exporter replacing an
 *       earlier owner.</li>
 *   <li>A module depends on the owner of each symbol it needs, in the order of its needed
 *       symbols, each owner once; the owner's user count grows once per user.</li>
 *   <li>Kahn's algorithm with a LIFO stack seeded in array order with the modules nobody uses
 *       gives each module its topological index; modules left over sit in cycles, which is
 *       fatal.</li>
 *   <li>A module's {@code modules.dep} list is its transitive closure sorted by that index.</li>
 * </ol>
 */
final class DependencyGraph {
    /** Owner of each symbol; a null owner means the kernel itself. */
    private final Map<String, DepmodModule> owners = new HashMap<>();
    private final char symPrefix;

    DependencyGraph(char symPrefix) {
        this.symPrefix = symPrefix;
    }

    private String strip(String name) {
        return symPrefix != 0 && !name.isEmpty() && name.charAt(0) == symPrefix ? name.substring(1) : name;
    }

    /** Enters a symbol owned by the kernel. */
    void addKernelSymbol(String name) {
        owners.put(strip(name), null);
    }

    /** Module exports in array order. */
    void addExports(List<DepmodModule> modules) {
        for (DepmodModule m : modules) {
            for (String s : m.exports) {
                owners.put(strip(s), m);
            }
        }
    }

    /** symbol name to owning module, for the symbols a module owns. */
    Map<String, DepmodModule> ownedSymbols() {
        Map<String, DepmodModule> r = new HashMap<>();
        owners.forEach((k, v) -> {
            if (v != null) {
                r.put(k, v);
            }
        });
        return r;
    }

    /** Resolves needed symbols into direct dependencies; with {@code printUnknown}, warns as {@code depmod -e} does. */
    void resolve(List<DepmodModule> modules, boolean printUnknown, Map<String, Long> kernelCrcs, DepmodLog log) {
        for (DepmodModule m : modules) {
            Set<DepmodModule> seen = new HashSet<>();
            for (KoFile.DependencySymbol ds : m.dependencySymbols) {
                String name = ds.name();
                if (name.startsWith(".")) {
                    name = name.substring(1);
                }
                name = strip(name);
                if (!owners.containsKey(name)) {
                    if (printUnknown && !ds.weak()) {
                        log.warn(m.shown + " needs unknown symbol " + ds.name());
                    }
                    continue;
                }
                DepmodModule owner = owners.get(name);
                if (printUnknown && kernelCrcs != null && owner == null && !ds.weak()) {
                    Long crc = kernelCrcs.get(name);
                    if (crc != null && crc != ds.crc()) {
                        log.warn(m.shown + " disagrees about version of symbol " + ds.name());
                    }
                }
                if (owner == null) {
                    continue;
                }
                if (seen.add(owner)) {
                    m.deps.add(owner);
                    owner.users++;
                }
            }
        }
    }

    /**
     * Assigns topological indexes.
     *
     * @return the cycle reports ("a -> b -> a") and the count of modules in cycles; empty when none
     */
    static List<String> sort(List<DepmodModule> modules, int[] inCycles) {
        int n = modules.size();
        int[] users = new int[n];
        int[] stack = new int[n];
        int top = 0;
        for (int i = 0; i < n; i++) {
            users[i] = modules.get(i).users;
            if (users[i] == 0) {
                stack[top++] = i;
            }
        }
        int sorted = 0;
        while (top > 0) {
            DepmodModule src = modules.get(stack[--top]);
            src.depSortIdx = sorted++;
            for (DepmodModule dst : src.deps) {
                if (--users[dst.idx] == 0) {
                    stack[top++] = dst.idx;
                }
            }
        }
        if (sorted == n) {
            for (DepmodModule m : modules) {
                m.deps.sort(Comparator.comparingInt(d -> d.depSortIdx));
            }
            inCycles[0] = 0;
            return List.of();
        }
        return reportCycles(modules, users, inCycles);
    }

    private static List<String> reportCycles(List<DepmodModule> modules, int[] users, int[] inCycles) {
        Set<DepmodModule> inLoops = new LinkedHashSet<>();
        List<String> reports = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            DepmodModule root = modules.get(i);
            if (users[i] == 0 || inLoops.contains(root)) {
                continue;
            }
            // depth-first from root, LIFO, looking for paths back to root
            record Vertex(DepmodModule mod, Vertex parent) {
            }
            ArrayDeque<Vertex> stack = new ArrayDeque<>();
            Set<DepmodModule> visited = new HashSet<>();
            stack.push(new Vertex(root, null));
            while (!stack.isEmpty()) {
                Vertex v = stack.pop();
                if (v.mod == root && v.parent != null) {
                    List<String> names = new ArrayList<>();
                    for (Vertex x = v; x != null; x = x.parent) {
                        names.add(0, x.mod.name);
                        if (x.parent != null) {
                            inLoops.add(x.mod);
                        }
                    }
                    reports.add(String.join(" -> ", names));
                    continue;
                }
                if (!visited.add(v.mod)) {
                    continue;
                }
                for (DepmodModule d : v.mod.deps) {
                    if (users[d.idx] != 0) {
                        stack.push(new Vertex(d, v));
                    }
                }
            }
        }
        inCycles[0] = inLoops.size();
        return reports;
    }

    /** The transitive dependencies of a module, sorted by topological index. */
    static List<DepmodModule> allSortedDependencies(DepmodModule m) {
        LinkedHashSet<DepmodModule> out = new LinkedHashSet<>();
        collect(m, out);
        List<DepmodModule> list = new ArrayList<>(out);
        list.sort(Comparator.comparingInt(d -> d.depSortIdx));
        return list;
    }

    private static void collect(DepmodModule m, Set<DepmodModule> out) {
        for (DepmodModule d : m.deps) {
            if (out.add(d)) {
                collect(d, out);
            }
        }
    }
}
