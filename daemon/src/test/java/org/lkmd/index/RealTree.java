package org.lkmd.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.lkmd.testing.InstalledTree;

/**
 * The installed module tree ({@link InstalledTree}, the rule every test uses) and copies of its index.
 */
final class RealTree {
    private RealTree() {
    }

    static Path modulesDir() throws IOException {
        return Path.of("/lib/modules", InstalledTree.release());
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
