package org.lkmd.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a bare program name (no {@code /}) of {@code RUN{program}} or {@code PROGRAM} is found.
 * udev looks such a name up in {@code /usr/lib/udev} only, never in {@code $PATH}; lkmd looks in
 * its own {@code /usr/lib/lkmd} first, then there, so that rules written for udev find udev's helpers.
 */
public final class HelperDirs {
    /** The directories, in lookup order. */
    public static final List<Path> DEFAULT = List.of(Path.of("/usr/lib/lkmd"), Path.of("/usr/lib/udev"));

    private HelperDirs() {
    }

    /**
     * The program to execute for {@code name}: itself when it holds a {@code /}, else the first
     * executable {@code dir/name}; empty when there is none.
     */
    public static Optional<Path> resolve(String name, List<Path> dirs) {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (name.contains("/")) {
            return Optional.of(Path.of(name));
        }
        return dirs.stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst();
    }
}
