package org.lkmd.base;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The root directory every system path is resolved under: {@code /} on a real system, a fake tree
 * in tests and with {@code --root DIR}. Nothing in lkmd opens {@code /sys}, {@code /proc},
 * {@code /lib/modules} or {@code /etc} except through a {@code Root}.
 */
public final class Root {
    private final Path dir;

    private Root(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public static Root of(Path dir) {
        return new Root(Objects.requireNonNull(dir, "dir"));
    }

    public static Root system() {
        return new Root(Path.of("/"));
    }

    /** The root directory itself. */
    public Path dir() {
        return dir;
    }

    /** True when this is the real {@code /} of the running system. */
    public boolean isSystem() {
        return dir.getParent() == null;
    }

    /** Resolves an absolute system path such as {@code /lib/modules} under this root. */
    public Path resolve(String absolutePath) {
        String rel = absolutePath;
        while (rel.startsWith("/")) {
            rel = rel.substring(1);
        }
        return rel.isEmpty() ? dir : dir.resolve(rel);
    }

    /** {@code /lib/modules/<release>} under this root. */
    public Path modulesDir(String release) {
        return resolve("/lib/modules/" + release);
    }

    /** {@code /sys/module/<name>} under this root. */
    public Path sysModule(String name) {
        return resolve("/sys/module/" + name);
    }

    @Override
    public String toString() {
        return dir.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Root r && r.dir.equals(dir);
    }

    @Override
    public int hashCode() {
        return dir.hashCode();
    }
}
