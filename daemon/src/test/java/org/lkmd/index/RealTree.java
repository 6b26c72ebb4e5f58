package org.lkmd.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the installed module tree by the rule the integration tests use ({@code org.lkmd.it.RealTree}
 * in tests/, which this module cannot see): the newest release in version order under /lib/modules
 * with {@code modules.order}, {@code modules.dep} and {@code modules.alias.bin}; skipped when there is none.
 */
final class RealTree {
    private static final java.util.regex.Pattern RUN = java.util.regex.Pattern.compile("[0-9]+|[^0-9]+");

    private RealTree() {
    }

    static Path modulesDir() throws IOException {
        Path base = Path.of("/lib/modules");
        Assumptions.assumeTrue(Files.isDirectory(base), "no /lib/modules");
        try (Stream<Path> s = Files.list(base)) {
            Path dir = s.filter(d -> Files.exists(d.resolve("modules.order")) && Files.exists(d.resolve("modules.dep"))
                    && Files.exists(d.resolve("modules.alias.bin")))
                    .max((a, b) -> compareVersions(a.getFileName().toString(), b.getFileName().toString())).orElse(null);
            Assumptions.assumeTrue(dir != null, "no module tree installed");
            return dir;
        }
    }

    /** Version order: runs of digits compare as numbers, the rest as text. */
    private static int compareVersions(String a, String b) {
        java.util.regex.Matcher ma = RUN.matcher(a);
        java.util.regex.Matcher mb = RUN.matcher(b);
        while (ma.find() && mb.find()) {
            String x = ma.group();
            String y = mb.group();
            int c = Character.isDigit(x.charAt(0)) && Character.isDigit(y.charAt(0))
                    ? new java.math.BigInteger(x).compareTo(new java.math.BigInteger(y)) : x.compareTo(y);
            if (c != 0) {
                return c;
            }
        }
        return a.compareTo(b);
    }

    /** A copy of the tree's index files only (no .ko), with or without the .bin files. */
    static Path copyIndex(Path from, Path to, boolean withBin) throws IOException {
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String n = f.getFileName().toString();
                if (n.startsWith("modules.") && (withBin || !n.endsWith(".bin"))) {
                    Files.copy(f, to.resolve(n));
                }
            }
        }
        return to;
    }

    /** Every pattern made concrete: '*' to empty, '?' to 'X', a bracket to its first member. */
    static String concrete(String pattern) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                continue;
            } else if (c == '?') {
                b.append('X');
            } else if (c == '[') {
                int close = pattern.indexOf(']', i + 2);
                if (close < 0) {
                    b.append(c);
                    continue;
                }
                char m = pattern.charAt(i + 1);
                if (m == '!' || m == '^') {
                    m = '~';
                }
                b.append(m);
                i = close;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
