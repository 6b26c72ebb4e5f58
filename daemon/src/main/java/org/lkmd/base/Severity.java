package org.lkmd.base;

/**
 * How bad a {@link Diagnostic} is, the same in every parser:
 * <ul>
 *   <li>ERROR: something the file says was not applied (a bad line dropped, a file skipped, or a
 *       whole input unusable, in which case the result has no value); {@code lkmd verify} fails;</li>
 *   <li>WARNING: applied with a caveat, or ignored on purpose (an unknown setting, a key that does
 *       not concern module loading).</li>
 * </ul>
 */
public enum Severity {
    WARNING,
    ERROR
}
