package org.lkmd.base;

/**
 * One problem found in an input file, with its place. Printed as {@code file:line: message}
 * ({@code file: message} when the problem has no line, such as a missing or unreadable file).
 */
public record Diagnostic(String file, int line, Severity severity, String message) {

    public static Diagnostic warning(String file, int line, String message) {
        return new Diagnostic(file, line, Severity.WARNING, message);
    }

    public static Diagnostic error(String file, int line, String message) {
        return new Diagnostic(file, line, Severity.ERROR, message);
    }

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
    }
}
