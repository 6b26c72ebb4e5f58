package org.lkmd.rules;

import org.lkmd.base.Diagnostic;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Resolves the GOTOs of one rules file to the index of their LABEL, as udev does: the first
 * line after the GOTO, in the same file, with that label. A GOTO without one is an error and is
 * dropped; the line keeps its other keys, or goes if nothing else is left of it (a warning).
 */
final class GotoResolver {
    private GotoResolver() {
    }

    /**
     * @param file            the rules of one file, in order, with {@link Rule#gotoTarget()} unset
     * @param offset          how many rules of earlier files precede them in the set
     * @param ignoredUpdate   whether a line holds an assignment lkmd ignores (it still has an effect in udev)
     * @param diagnostics     receives the errors and warnings, in line order
     * @return the rules kept, with targets as indexes into the whole set
     */
    static List<Rule> resolve(List<Rule> file, int offset, Predicate<RuleSource> ignoredUpdate,
                              Consumer<Diagnostic> diagnostics) {
        List<Rule> local = new ArrayList<>(file);
        for (int i = 0; i < local.size(); i++) {
            Rule r = local.get(i);
            if (r.gotoLabel() == null) {
                continue;
            }
            int target = labelAfter(local, i, r.gotoLabel());
            if (target >= 0) {
                local.set(i, r.withGoto(r.gotoLabel(), target, true));
                continue;
            }
            diagnostics.accept(Diagnostic.error(r.source().file(), r.source().line(), "GOTO=\"" + r.gotoLabel()
                    + "\" has no matching LABEL later in the file, GOTO ignored"));
            boolean other = !r.actions().isEmpty() || r.matches().stream().anyMatch(m -> m.key() == Match.Key.PROGRAM)
                    || r.applies() && ignoredUpdate.test(r.source());
            if (other) {
                local.set(i, r.withGoto(null, -1, true));
            } else if (r.label() != null) {
                local.set(i, new Rule(r.source(), List.of(), List.of(), r.label(), null, -1, false));
            } else {
                diagnostics.accept(Diagnostic.warning(r.source().file(), r.source().line(),
                        "line has no effect any more, dropped"));
                local.set(i, null);
            }
        }
        // drop removed lines and renumber targets
        int[] newIndex = new int[local.size()];
        for (int i = 0, k = 0; i < local.size(); i++) {
            newIndex[i] = local.get(i) == null ? -1 : k++;
        }
        List<Rule> kept = new ArrayList<>();
        for (Rule r : local) {
            if (r != null) {
                kept.add(r.gotoTarget() < 0 ? r : r.withGoto(r.gotoLabel(), newIndex[r.gotoTarget()] + offset, true));
            }
        }
        return kept;
    }

    /** The index of the first rule after {@code from} with {@code label}, or -1. */
    private static int labelAfter(List<Rule> rules, int from, String label) {
        for (int j = from + 1; j < rules.size(); j++) {
            if (rules.get(j) != null && label.equals(rules.get(j).label())) {
                return j;
            }
        }
        return -1;
    }
}
