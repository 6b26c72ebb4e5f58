package org.lkmd.elf;

/** libkmod's alias_normalize: '-' becomes '_' outside bracket expressions; unbalanced brackets are rejected. */
public final class AliasNormalizer {
    private AliasNormalizer() {
    }

    /** The normalized alias, or null for an unmatched bracket. */
    public static String normalize(String alias) {
        StringBuilder sb = new StringBuilder(alias.length());
        for (int i = 0; i < alias.length(); i++) {
            char c = alias.charAt(i);
            switch (c) {
                case '-' -> sb.append('_');
                case ']' -> {
                    return null;
                }
                case '[' -> {
                    int close = alias.indexOf(']', i);
                    if (close < 0) {
                        return null;
                    }
                    sb.append(alias, i, close + 1);
                    i = close;
                }
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
