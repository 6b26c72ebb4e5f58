package org.lkmd.modprobe;

import java.util.List;

/**
 * What loading one module entails: the steps in modprobe's order (dependencies deepest first,
 * each with its softdeps' pre and post lists around it, then the target), as resolved by the
 * resolver from modprobe.d and the module index. Modules already live are left out unless the
 * plan was made ignoring loaded state ({@code --show-depends}).
 *
 * @param module      the target module's name
 * @param query       the name or alias the user or kernel asked for
 * @param targetIndex the index of the target's own step in {@code steps}
 */
public record LoadPlan(String module, String query, List<LoadStep> steps, int targetIndex) {
    public LoadPlan {
        steps = List.copyOf(steps);
    }

    /** True when step {@code i} is the target itself (not a dependency or softdep). */
    public boolean isTarget(int i) {
        return i == targetIndex;
    }
}
