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
final class RealTree {
    private RealTree() {
    }

    /** The release of the installed Debian kernel whose modules have an index. */
    static String release() {
        Path base = Path.of("/lib/modules");
        assumeTrue(Files.isDirectory(base), "no /lib/modules: install linux-image-amd64");
        try (Stream<Path> s = Files.list(base)) {
            List<String> rels = s.filter(p -> Files.exists(p.resolve("modules.dep")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
            assumeTrue(!rels.isEmpty(), "no module tree with modules.dep: install linux-image-amd64");
            return rels.get(rels.size() - 1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path modulesDir() {
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
