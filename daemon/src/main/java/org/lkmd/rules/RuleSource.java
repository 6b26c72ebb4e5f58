package org.lkmd.rules;

/** Where a rule came from: the rules file (as the loader named it) and its line number. Printed as {@code file:line}. */
public record RuleSource(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
