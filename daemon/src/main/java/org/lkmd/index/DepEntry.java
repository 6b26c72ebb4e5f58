package org.lkmd.index;

import java.util.List;

/**
 * One {@code modules.dep} line: the module's path and its dependencies' paths, exactly as
 * written there (relative to the module directory, or absolute for external modules), in the
 * line's order (users before what they use; loads go right to left).
 */
public record DepEntry(String name, String path, List<String> dependencies) {
    public DepEntry {
        dependencies = List.copyOf(dependencies);
    }
}
