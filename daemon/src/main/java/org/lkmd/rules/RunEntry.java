package org.lkmd.rules;

import java.util.Optional;

/**
 * One command a rule queued for the event, after substitution. Not executed by the rules engine.
 *
 * @param kind    builtin or program
 * @param command the substituted command line (for a program: split it with {@link CommandLine#split})
 * @param source  the rule that queued it
 * @param kmod    for {@code kmod load}, what to load; empty for programs
 */
public record RunEntry(Kind kind, String command, RuleSource source, Optional<KmodBuiltin> kmod) {

    /** What runs the command. */
    public enum Kind { BUILTIN, PROGRAM }

    @Override
    public String toString() {
        return (kind == Kind.BUILTIN ? "RUN{builtin} " : "RUN{program} ") + command + " (" + source + ")";
    }
}
