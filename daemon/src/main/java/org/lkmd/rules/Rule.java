package org.lkmd.rules;

import java.util.List;

/**
 * One rule (one logical line of a rules file). Immutable.
 *
 * @param source      file and line (the last physical line of a continued line, as udev reports it)
 * @param matches     conditions, in evaluation order
 * @param actions     assignments lkmd carries out, in udev's order
 * @param label       this line's LABEL, or null
 * @param gotoLabel   the GOTO target label, or null (also null when no later LABEL in the file matched)
 * @param gotoTarget  index in the {@link RuleSet} of the rule carrying the GOTO's label, or -1
 * @param applies     false for a line udev never applies (a LABEL with nothing else): it is only a jump target
 */
public record Rule(RuleSource source, List<Match> matches, List<Action> actions, String label,
                   String gotoLabel, int gotoTarget, boolean applies) {

    public Rule {
        matches = List.copyOf(matches);
        actions = List.copyOf(actions);
    }

    Rule withGoto(String gotoLabel, int gotoTarget, boolean applies) {
        return new Rule(source, matches, actions, label, gotoLabel, gotoTarget, applies);
    }

    Rule shifted(int offset) {
        return gotoTarget < 0 ? this : new Rule(source, matches, actions, label, gotoLabel, gotoTarget + offset, applies);
    }
}
