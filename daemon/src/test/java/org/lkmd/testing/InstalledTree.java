package org.lkmd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one answer to "which kernel tree" for every test, unit and integration: the newest release
 * (in version order) under /lib/modules with what depmod reads ({@code modules.order}) and what it
 * wrote ({@code modules.dep}, {@code modules.alias.bin}), that is a tree as the Debian kernel
 * package installs it. The test is skipped when there is none.
 */
public final class InstalledTree {
    private static final Pattern RUN = Pattern.compile("[0-9]+|[^0-9]+");

    private InstalledTree() {
    }

    public static String release() {
        Path base = Path.of("/lib/modules");
        assumeTrue(Files.isDirectory(base), "no /lib/modules: install linux-image-amd64");
        try (Stream<Path> s = Files.list(base)) {
            List<String> rels = s.filter(p -> Files.exists(p.resolve("modules.order")) && Files.exists(p.resolve("modules.dep"))
                            && Files.exists(p.resolve("modules.alias.bin")))
                    .map(p -> p.getFileName().toString()).sorted(InstalledTree::compareVersions).toList();
            assumeTrue(!rels.isEmpty(), "no module tree with modules.order, modules.dep and modules.alias.bin: "
                    + "install linux-image-amd64");
            return rels.get(rels.size() - 1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Version order: runs of digits compare as numbers ({@code 6.1.0-9} before {@code 6.1.0-10}), the rest as text. */
    static int compareVersions(String a, String b) {
        Matcher ma = RUN.matcher(a);
        Matcher mb = RUN.matcher(b);
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
}
