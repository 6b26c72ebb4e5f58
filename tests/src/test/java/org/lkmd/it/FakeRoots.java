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

    /**
     * A root with the real module tree but a configuration of its own: an empty
     * {@code etc/modprobe.d} and {@code cmdline} as {@code proc/cmdline}.
     */
    static Path ownConfig(Path dir, String cmdline) throws IOException {
        Files.createDirectories(dir.resolve("lib/modules"));
        Files.createSymbolicLink(dir.resolve("lib/modules/" + RealTree.release()), RealTree.modulesDir());
        Files.createDirectories(dir.resolve("etc/modprobe.d"));
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("proc/cmdline"), cmdline);
        return dir;
    }

    /**
     * Makes {@code root} one a daemon runs over on this machine: its {@code sys} is this machine's
     * /sys, and {@code etc/lkmd/rules.d} holds the shipped rules; returns that rules directory.
     */
    static Path withSysAndShippedRules(Path root) throws IOException {
        Files.createSymbolicLink(root.resolve("sys"), Path.of("/sys"));
        Path rules = Files.createDirectories(root.resolve("etc/lkmd/rules.d"));
        Path repo = Path.of(System.getProperty("lkmd.repo", ".."));
        Files.copy(repo.resolve("rules/80-lkmd-drivers.rules"), rules.resolve("80-lkmd-drivers.rules"));
        return rules;
    }
}
