package org.lkmd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Roots for differential runs: the real module tree and this machine's modprobe.d and cmdline, linked in. */
final class FakeRoots {
    private FakeRoots() {
    }

    /**
     * A root whose {@code lib/modules/<rel>} links to the real tree and whose modprobe.d
     * directories and {@code proc/cmdline} are this machine's, so kmod (which reads the host's
     * config and cmdline) and lkmd (which reads the root's) see the same input.
     */
    static Path hostLike(Path dir) throws IOException {
        String rel = RealTree.release();
        Files.createDirectories(dir.resolve("lib/modules"));
        Files.createSymbolicLink(dir.resolve("lib/modules/" + rel), RealTree.modulesDir());
        for (String d : List.of("etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
                "usr/lib/modprobe.d", "lib/modprobe.d")) {
            Path real = Path.of("/" + d);
            if (Files.isDirectory(real)) {
                Files.createDirectories(dir.resolve(d).getParent());
                Files.createSymbolicLink(dir.resolve(d), real);
            }
        }
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("proc/cmdline"), Files.readString(Path.of("/proc/cmdline")));
        return dir;
    }
}
