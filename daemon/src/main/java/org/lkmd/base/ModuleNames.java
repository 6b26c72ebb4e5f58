package org.lkmd.base;

import java.util.Optional;

/**
 * kmod's one rule for spelling module names and aliases, in one place: module names use '_'
 * where file names and users may write '-'; an alias (or a modprobe.d glob) gets the same
 * change except inside {@code [...]} bracket expressions, which are kept as written.
 *
 * <ul>
 *   <li>{@link #normalizeName}: libkmod's {@code modname_normalize}: '-' to '_', up to the
 *       first '.'; used for every module name from a user, a config file or the kernel;</li>
 *   <li>{@link #fromPath}: {@code path_to_modname}: the same on a path's basename
 *       ({@code kernel/sound/snd-hda-intel.ko.xz} to {@code snd_hda_intel});</li>
 *   <li>{@link #normalizeAlias}: {@code alias_normalize}, and modprobe.d's {@code underscores}
 *       (the same rule): '-' to '_' outside brackets; a {@code ]} outside a bracket expression
 *       or a {@code [} without its {@code ]} makes the string invalid, and kmod refuses the
 *       lookup or config line.</li>
 * </ul>
 */
public final class ModuleNames {
    private ModuleNames() {
    }

    /** A module name as the kernel and kmod spell it: '-' to '_', cut at the first '.'. */
    public static String normalizeName(String name) {
        int dot = name.indexOf('.');
        return (dot >= 0 ? name.substring(0, dot) : name).replace('-', '_');
    }

    /** The module name of a file path: its basename, normalized as {@link #normalizeName}. */
    public static String fromPath(String path) {
        return normalizeName(path.substring(path.lastIndexOf('/') + 1));
    }

    /**
     * An alias or module-name glob as kmod normalizes it before matching or storing it: '-' to
     * '_' outside {@code [...]}; empty for an unmatched bracket.
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
}
