package org.lkmd.rules;

/**
 * One condition of a rule. Conditions of a rule are kept in udev's evaluation order (the order of
 * {@link Key}), not in the order they were written.
 *
 * @param key     what is compared
 * @param op      {@link Operator#MATCH} or {@link Operator#NOMATCH}
 * @param attr    the {@code {...}} part: property name for ENV, attribute name for ATTR/ATTRS
 *                (may contain substitutions), octal mode for TEST; null otherwise
 * @param pattern the compiled value (TEST and PROGRAM use {@link Pattern#text()} as a format)
 * @param mode    TEST's permission mask, or -1
 */
public record Match(Key key, Operator op, String attr, Pattern pattern, int mode) {

    /** Match keys in udev's evaluation order. */
    public enum Key {
        ACTION, DEVPATH, KERNEL, ENV, SUBSYSTEM, DRIVER, ATTR,
        KERNELS, SUBSYSTEMS, DRIVERS, ATTRS,
        TEST, PROGRAM, RESULT;

        /** True for the keys that are matched against the device or one of its parents, all together. */
        public boolean isForParents() {
            return this == KERNELS || this == SUBSYSTEMS || this == DRIVERS || this == ATTRS;
        }
    }

    @Override
    public String toString() {
        return key + (attr != null ? "{" + attr + "}" : "") + op + "\"" + pattern.text() + "\"";
    }
}
