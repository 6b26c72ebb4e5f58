package org.lkmd.index;

import java.util.Optional;

/**
 * kmod's name spellings: module names use '_' where files and users may write '-', except
 * inside glob brackets, which are kept as written.
 */
public final class ModuleNames {
    private ModuleNames() {
    }

    /**
     * '-' to '_' outside {@code [...]}, as libkmod normalizes names in config lines and lookups;
     * an unmatched bracket makes the string invalid (empty): kmod rejects such a line or lookup.
     */
    public static Optional<String> normalizeAlias(String alias) {
        StringBuilder sb = new StringBuilder(alias.length());
        for (int i = 0; i < alias.length(); i++) {
            char c = alias.charAt(i);
            if (c == '-') {
                sb.append('_');
            } else if (c == ']') {
                return Optional.empty();
            } else if (c == '[') {
                int close = alias.indexOf(']', i);
                if (close < 0) {
                    return Optional.empty();
                }
                sb.append(alias, i, close + 1);
                i = close;
            } else {
                sb.append(c);
            }
        }
        return Optional.of(sb.toString());
    }

    /** The module name of a file path: basename up to the first '.', '-' to '_' ({@code path_to_modname}). */
    public static String fromPath(String path) {
        int slash = path.lastIndexOf('/');
        String base = path.substring(slash + 1);
        int dot = base.indexOf('.');
        if (dot >= 0) {
            base = base.substring(0, dot);
        }
        return base.replace('-', '_');
    }
}
