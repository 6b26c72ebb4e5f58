package org.lkmd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Scenario roots for hermetic unit tests: small directories under {@code src/test/resources/roots}
 * with everything a root has that the code under test reads (text module indexes, tiny fake
 * {@code .ko} images whose {@code .modinfo}-like strings name the module and its dependencies,
 * modprobe.d, rules, {@code proc/cmdline}, {@code sys/module}, {@code sys/devices}), copied
 * pristine into a test's temporary directory. Nothing is read from the host's module tree or
 * configuration.
 *
 * <p>{@code probe}: kernel release {@code 6.1.0-test}; a stack mod_c → mod_b → mod_a reached by
 * {@code pci:v00001234d00005678...}; blacklisted_drv (blacklisted, alias platform:blk); opts_drv
 * (options in modprobe.d and on the command line, config alias my-alias); fails_drv (alias
 * usb:v0001p0002...); soft_main with softdep pre soft_pre (alias platform:soft); hooked (an install
 * command); live_drv (live in sys/module, alias platform:live); 8250 builtin (modules.builtin and
 * sys/module without initstate); vfat → fat (alias fs-vfat); rules: {@code kmod load} for every
 * MODALIAS on add, and {@code kmod load fs-vfat} for the platform device blk.
 */
public final class ScenarioRoot {
    public static final String RELEASE = "6.1.0-test";

    private ScenarioRoot() {
    }

    /** A fresh copy of scenario {@code name} under {@code dir}; returns the root. */
    public static Path copy(String name, Path dir) {
        URL url = ScenarioRoot.class.getResource("/roots/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no scenario root " + name);
        }
        try {
            Path src = Path.of(url.toURI());
            Path root = dir.resolve(name);
            List<Path> all;
            try (Stream<Path> s = Files.walk(src)) {
                all = s.toList();
            }
            for (Path p : all) {
                Path to = root.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The module directory of a scenario root. */
    public static Path modulesDir(Path root) {
        return root.resolve("lib/modules/" + RELEASE);
    }
}
