package org.lkmd.config;

/** How bad a {@link Diagnostic} is: an ERROR makes the input unusable as a whole, a WARNING loses one line. */
public enum Severity {
    WARNING,
    ERROR
}
