package org.lkmd.rules;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The keys of udev's rule syntax as data: for each, whether it takes an attribute ({@code KEY{attr}}),
 * which operators, whether its value is a format to check, and the operators udev accepts with a
 * warning, reading them as {@code =}. {@link #check} applies an entry to one token in udev's order,
 * so that the first problem found, and the warnings before it, are the ones udev reports:
 *
 * <ol>
 *   <li>the attribute: missing, present where the key takes none, not an octal mode (TEST), not
 *       one of the key's names (CONST);
 *   <li>the attribute's substitutions (ATTR, ATTRS, SYSCTL: warning);
 *   <li>the value's substitutions, for keys that check them before the operator (warning);
 *   <li>the operator; then the {@code i} prefix, for keys that do not take it;
 *   <li>an operator read as {@code =} (warning);
 *   <li>a property that cannot be set (ENV assignments);
 *   <li>the value's substitutions, for the other keys (warning);
 *   <li>the attribute's name, for keys where it selects a variant (RUN{program|builtin}, IMPORT{...}).
 * </ol>
 *
 * What a key means (a condition, an action, a key lkmd ignores) is left to {@link RulesParser}.
 *
 * @param name            the key as written
 * @param attribute       what {@code {attr}} the key takes
 * @param names           the attribute values allowed, if limited (empty: any)
 * @param namesChecked    when {@code names} is checked: with the attribute, or last (a variant)
 * @param attributeFormat whether the attribute may hold substitutions, checked
 * @param operators       the operators taken as written
 * @param replaced        operators taken with a warning, as {@code =}
 * @param takes           how the warning for a replaced operator lists the operators (udev's wording)
 * @param valueCheck      when the value's substitutions are checked
 * @param nonEmpty        whether an empty value is warned about (instead of its substitutions)
 * @param prefix          whether the value takes the {@code i} (case-insensitive) prefix
 * @param readOnly        attribute values that cannot be assigned (ENV: properties the kernel or udev own)
 */
record RuleKey(String name, Attribute attribute, Set<String> names, When namesChecked, boolean attributeFormat,
               Set<Operator> operators, Set<Operator> replaced, String takes, ValueCheck valueCheck, boolean nonEmpty,
               boolean prefix, Set<String> readOnly) {

    /** What a key takes in braces. */
    enum Attribute {
        /** {@code KEY} only. */
        NONE,
        /** {@code KEY} or {@code KEY{name}}. */
        OPTIONAL,
        /** {@code KEY{attr}}, non-empty. */
        REQUIRED,
        /** {@code KEY} or {@code KEY{octal mode}} (TEST). */
        MODE
    }

    /** When a check runs relative to the operator check. */
    enum When { FIRST, LAST }

    /** When a key's value is checked for malformed substitutions. */
    enum ValueCheck {
        /** Never: the value is a pattern or a name. */
        NONE,
        /** Always, before the operator is checked. */
        FIRST,
        /** Always, after the operator. */
        ALWAYS,
        /** On assignments only, after the operator. */
        ASSIGNED,
        /** Unless the value is an octal mode (MODE). */
        UNLESS_OCTAL
    }

    /** Whether the key is a condition, an assignment, or both, by its operators. */
    enum Kind { MATCH, ASSIGN, BOTH }

    static final Set<Operator> MATCHES = EnumSet.of(Operator.MATCH, Operator.NOMATCH);
    private static final Set<Operator> ASSIGNS = EnumSet.of(Operator.ASSIGN, Operator.ADD, Operator.ASSIGN_FINAL);
    private static final Set<Operator> ALL = EnumSet.allOf(Operator.class);
    private static final Set<Operator> NOT_REMOVE = EnumSet.complementOf(EnumSet.of(Operator.REMOVE));

    /** Properties an ENV assignment cannot set (besides {@code SYNTH_ARG_*}), as in udev. */
    private static final Set<String> UNSETTABLE = Set.of("ACTION", "SEQNUM", "SYNTH_UUID", "DEVPATH",
            "DEVPATH_OLD", "SUBSYSTEM", "DEVTYPE", "DRIVER", "MODALIAS", "DEVNAME", "DEVMODE", "DEVUID", "DEVGID",
            "MAJOR", "MINOR", "DISKSEQ", "PARTN", "IFINDEX", "INTERFACE", "DEVLINKS", "TAGS", "CURRENT_TAGS",
            "USEC_INITIALIZED", "UDEV_DATABASE_VERSION");

    /** The key table, in udev's documentation order. */
    static final Map<String, RuleKey> TABLE = table(
            match("ACTION"), match("DEVPATH"), match("KERNEL"), match("SUBSYSTEM"), match("DRIVER"),
            match("KERNELS"), match("SUBSYSTEMS"), match("DRIVERS"), match("RESULT"),
            key("ENV", Attribute.REQUIRED, EnumSet.of(Operator.MATCH, Operator.NOMATCH, Operator.ASSIGN, Operator.ADD))
                    .replacing(EnumSet.of(Operator.ASSIGN_FINAL), "'==', '!=', '=', or '+='")
                    .checking(ValueCheck.ASSIGNED, false).readOnly(UNSETTABLE),
            key("ATTR", Attribute.REQUIRED, EnumSet.of(Operator.MATCH, Operator.NOMATCH, Operator.ASSIGN))
                    .substitutedAttribute().replacing(EnumSet.of(Operator.ADD, Operator.ASSIGN_FINAL), "'==', '!=', or '='")
                    .checking(ValueCheck.ASSIGNED, false),
            key("ATTRS", Attribute.REQUIRED, MATCHES).substitutedAttribute(),
            key("TEST", Attribute.MODE, MATCHES).checking(ValueCheck.FIRST, true).noPrefix(),
            key("PROGRAM", Attribute.NONE, NOT_REMOVE).checking(ValueCheck.FIRST, true).noPrefix(),
            key("OPTIONS", Attribute.NONE, ASSIGNS),
            key("RUN", Attribute.OPTIONAL, ASSIGNS).named(When.LAST, "program", "builtin")
                    .checking(ValueCheck.ALWAYS, true),
            key("GOTO", Attribute.NONE, EnumSet.of(Operator.ASSIGN)),
            key("LABEL", Attribute.NONE, EnumSet.of(Operator.ASSIGN)),
            // parsed and checked as udev does, then ignored
            key("SYMLINK", Attribute.NONE, ALL).checking(ValueCheck.ASSIGNED, false),
            key("NAME", Attribute.NONE, EnumSet.of(Operator.MATCH, Operator.NOMATCH, Operator.ASSIGN, Operator.ASSIGN_FINAL))
                    .replacing(EnumSet.of(Operator.ADD), "'==', '!=', '=', or ':='"),
            key("CONST", Attribute.REQUIRED, MATCHES).named(When.FIRST, "arch", "virt", "cvm"),
            key("TAG", Attribute.NONE, EnumSet.complementOf(EnumSet.of(Operator.ASSIGN_FINAL)))
                    .replacing(EnumSet.of(Operator.ASSIGN_FINAL), "'==', '!=', '=', or '+='")
                    .checking(ValueCheck.ASSIGNED, true),
            key("TAGS", Attribute.NONE, MATCHES),
            key("SYSCTL", Attribute.REQUIRED, EnumSet.of(Operator.MATCH, Operator.NOMATCH, Operator.ASSIGN))
                    .substitutedAttribute().replacing(EnumSet.of(Operator.ADD, Operator.ASSIGN_FINAL), "'==', '!=', or '='")
                    .checking(ValueCheck.ASSIGNED, false),
            key("IMPORT", Attribute.REQUIRED, NOT_REMOVE)
                    .named(When.LAST, "file", "program", "builtin", "db", "cmdline", "parent")
                    .checking(ValueCheck.FIRST, true).noPrefix(),
            owner("OWNER"), owner("GROUP"), owner("MODE").checking(ValueCheck.UNLESS_OCTAL, true),
            key("SECLABEL", Attribute.REQUIRED, EnumSet.of(Operator.ASSIGN, Operator.ADD))
                    .replacing(EnumSet.of(Operator.ASSIGN_FINAL), "'=' or '+='").checking(ValueCheck.FIRST, true));

    /** The entry for {@code key}, or null for a key udev does not know. */
    static RuleKey of(String key) {
        return TABLE.get(key);
    }

    Kind kind() {
        boolean m = operators.stream().anyMatch(Operator::isMatch);
        boolean a = operators.stream().anyMatch(o -> !o.isMatch());
        return m && a ? Kind.BOTH : m ? Kind.MATCH : Kind.ASSIGN;
    }

    /** The outcome of {@link #check}: the operator to use ({@code =} for a replaced one), or why the line is dropped. */
    record Checked(Operator op, String error) {
        static Checked drop(String error) {
            return new Checked(null, error);
        }
    }

    /**
     * Checks one token against this key, in udev's order (see the class comment). The global rule
     * that {@code i} goes only with {@code ==} and {@code !=} is checked by the caller, first.
     *
     * @param warn receives each warning, in order, without the file and line
     */
    Checked check(String attr, Operator op, String value, boolean caseInsensitive, Consumer<String> warn) {
        switch (attribute) {
            case NONE -> {
                if (attr != null) {
                    return invalidAttribute();
                }
            }
            case REQUIRED -> {
                if (attr == null || attr.isEmpty()) {
                    return invalidAttribute();
                }
            }
            case MODE -> {
                if (attr != null && !attr.isEmpty() && !attr.matches("[0-7]{1,4}")) {
                    return Checked.drop("invalid mode '" + attr + "' for " + name);
                }
            }
            case OPTIONAL -> {
                // a variant name, checked last
            }
        }
        if (namesChecked == When.FIRST && !names.contains(attr)) {
            return invalidAttribute();
        }
        if (attributeFormat) {
            String problem = Substitutions.check(attr);
            if (problem != null) {
                warn.accept("invalid attribute \"" + attr + "\" for " + name + " (" + problem + ")");
            }
        }
        if (valueCheck == ValueCheck.FIRST) {
            checkFormat(value, warn);
        }
        if (!operators.contains(op) && !replaced.contains(op)) {
            return Checked.drop("invalid operator for " + name);
        }
        if (caseInsensitive && !prefix) {
            return Checked.drop("invalid prefix 'i' for " + name);
        }
        if (replaced.contains(op)) {
            warn.accept(name + " key takes " + takes + " operator, assuming '='");
            op = Operator.ASSIGN;
        }
        if (!op.isMatch() && !readOnly.isEmpty() && (readOnly.contains(attr) || attr.startsWith("SYNTH_ARG_"))) {
            return Checked.drop(name + "{" + attr + "} cannot be set");
        }
        boolean late = switch (valueCheck) {
            case ALWAYS -> true;
            case ASSIGNED -> !op.isMatch();
            case UNLESS_OCTAL -> !value.matches("[0-7]{1,4}");
            case NONE, FIRST -> false;
        };
        if (late) {
            checkFormat(value, warn);
        }
        if (namesChecked == When.LAST && attr != null && !names.contains(attr)) {
            return invalidAttribute();
        }
        return new Checked(op, null);
    }

    private void checkFormat(String value, Consumer<String> warn) {
        if (nonEmpty && value.isEmpty()) {
            warn.accept("invalid value \"\" for " + name + " (empty value)");
            return;
        }
        String problem = Substitutions.check(value);
        if (problem != null) {
            warn.accept("invalid value \"" + value + "\" for " + name + " (" + problem + ")");
        }
    }

    private Checked invalidAttribute() {
        return Checked.drop("invalid attribute for " + name);
    }

    // ---- the table's builders

    private static RuleKey key(String name, Attribute attribute, Set<Operator> operators) {
        return new RuleKey(name, attribute, Set.of(), null, false, Set.copyOf(operators), Set.of(), null,
                ValueCheck.NONE, false, true, Set.of());
    }

    private static RuleKey match(String name) {
        return key(name, Attribute.NONE, MATCHES);
    }

    private static RuleKey owner(String name) {
        return key(name, Attribute.NONE, EnumSet.of(Operator.ASSIGN, Operator.ASSIGN_FINAL))
                .replacing(EnumSet.of(Operator.ADD), "'=' or ':='");
    }

    private RuleKey named(When when, String... allowed) {
        return new RuleKey(name, attribute, Set.of(allowed), when, attributeFormat, operators, replaced, takes, valueCheck,
                nonEmpty, prefix, readOnly);
    }

    private RuleKey substitutedAttribute() {
        return new RuleKey(name, attribute, names, namesChecked, true, operators, replaced, takes, valueCheck, nonEmpty,
                prefix, readOnly);
    }

    private RuleKey replacing(Set<Operator> ops, String wording) {
        return new RuleKey(name, attribute, names, namesChecked, attributeFormat, operators, Set.copyOf(ops), wording,
                valueCheck, nonEmpty, prefix, readOnly);
    }

    private RuleKey checking(ValueCheck when, boolean warnEmpty) {
        return new RuleKey(name, attribute, names, namesChecked, attributeFormat, operators, replaced, takes, when,
                warnEmpty, prefix, readOnly);
    }

    private RuleKey noPrefix() {
        return new RuleKey(name, attribute, names, namesChecked, attributeFormat, operators, replaced, takes, valueCheck,
                nonEmpty, false, readOnly);
    }

    private RuleKey readOnly(Set<String> attrs) {
        return new RuleKey(name, attribute, names, namesChecked, attributeFormat, operators, replaced, takes, valueCheck,
                nonEmpty, prefix, Set.copyOf(attrs));
    }

    private static Map<String, RuleKey> table(RuleKey... keys) {
        Map<String, RuleKey> m = new LinkedHashMap<>();
        for (RuleKey k : keys) {
            m.put(k.name(), k);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
