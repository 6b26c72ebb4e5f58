package org.lkmd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Debian kernel package's module tree installed on this machine ({@code /lib/modules/<rel>}),
 * and kmod's tools. Tests that need them are skipped only when they are missing, which
 * {@code tests/install-deps} prevents on a machine where the suite runs as root.
 */
public final class RealTree {
    private RealTree() {
    }

    /**
     * The one answer to "which kernel tree" for every test: the newest release (in version order)
     * under /lib/modules with what depmod reads ({@code modules.order}) and what it wrote
     * ({@code modules.dep}, {@code modules.alias.bin}), that is a tree as the Debian kernel package
     * installs it. The test is skipped when there is none.
     */
    public static String release() {
        Path base = Path.of("/lib/modules");
        assumeTrue(Files.isDirectory(base), "no /lib/modules: install linux-image-amd64");
        try (Stream<Path> s = Files.list(base)) {
            List<String> rels = s.filter(p -> Files.exists(p.resolve("modules.order")) && Files.exists(p.resolve("modules.dep"))
                            && Files.exists(p.resolve("modules.alias.bin")))
                    .map(p -> p.getFileName().toString()).sorted(RealTree::compareVersions).toList();
            assumeTrue(!rels.isEmpty(), "no module tree with modules.order, modules.dep and modules.alias.bin: "
                    + "install linux-image-amd64");
            return rels.get(rels.size() - 1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Version order: runs of digits compare as numbers ({@code 6.1.0-9} before {@code 6.1.0-10}), the rest as text. */
    static int compareVersions(String a, String b) {
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

    private static final java.util.regex.Pattern RUN = java.util.regex.Pattern.compile("[0-9]+|[^0-9]+");

    public static Path modulesDir() {
        return Path.of("/lib/modules", release());
    }

    /** kmod's modprobe, or the test is skipped. */
    static String kmodTool(String name) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !isLkmd(p)) {
                return p.toString();
            }
        }
        assumeTrue(false, "kmod's " + name + " is not installed: apt-get install kmod");
        return null;
    }

    private static boolean isLkmd(Path p) {
        try {
            return Files.readString(p.toRealPath()).contains("lkmd");
        } catch (IOException | RuntimeException e) {
            return false; // a binary: kmod
        }
    }
}
