package org.lkmd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.lkmd.testing.InstalledTree;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Debian kernel package's module tree installed on this machine ({@code /lib/modules/<rel>}),
 * and kmod's tools. Tests that need them are skipped only when they are missing, which
 * {@code tests/install-deps} prevents on a machine where the suite runs as root.
 */
public final class RealTree {
    private RealTree() {
    }

    /** The one answer to "which kernel tree" for every test: {@link InstalledTree#release()}. */
    public static String release() {
        return InstalledTree.release();
    }

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
