package org.lkmd.rules;

/**
 * One assignment of a rule that lkmd carries out, in udev's order within a rule (OPTIONS, then
 * ENV, then RUN{builtin}, then RUN{program}).
 *
 * @param type  what is assigned
 * @param op    {@link Operator#ASSIGN}, {@link Operator#ADD} or {@link Operator#ASSIGN_FINAL}
 * @param name  the ENV property name; null otherwise
 * @param value the value as written, substitutions not yet applied
 */
public record Action(Type type, Operator op, String name, String value) {

    /** Assignment kinds in udev's order within a rule. */
    public enum Type {
        /** {@code OPTIONS="last_rule"}: no later rule runs for this event. */
        LAST_RULE,
        /** {@code OPTIONS="string_escape=none"}. */
        ESCAPE_NONE,
        /** {@code OPTIONS="string_escape=replace"}: unsafe characters of ENV values on this rule become '_'. */
        ESCAPE_REPLACE,
        /** {@code ENV{name}=value}; an empty value with {@code =} removes the property. */
        ENV,
        /** {@code RUN{builtin}} with the {@code kmod} builtin. */
        RUN_BUILTIN,
        /** {@code RUN} / {@code RUN{program}}. */
        RUN_PROGRAM
    }

    @Override
    public String toString() {
        return switch (type) {
            case LAST_RULE -> "OPTIONS" + op + "\"last_rule\"";
            case ESCAPE_NONE -> "OPTIONS" + op + "\"string_escape=none\"";
            case ESCAPE_REPLACE -> "OPTIONS" + op + "\"string_escape=replace\"";
            case ENV -> "ENV{" + name + "}" + op + "\"" + value + "\"";
            case RUN_BUILTIN -> "RUN{builtin}" + op + "\"" + value + "\"";
            case RUN_PROGRAM -> "RUN{program}" + op + "\"" + value + "\"";
        };
    }
}
