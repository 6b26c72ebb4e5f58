package org.lkmd.daemon;

import org.lkmd.base.Root;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.rules.RulesLoader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files a {@link Snapshot} is built from and their modification times ({@code lkmd status}),
 * and the directories a {@link Reloader} watches. Read right after a snapshot loads, so a file
 * changed in between shows its newer time (and the watcher reloads again).
 */
public final class SourceStamps {
    private SourceStamps() {
    }

    /**
     * Every directory whose contents feed a snapshot: rules, kmod's modprobe.d and lkmd's own
     * ({@code /etc/lkmd/modprobe.d}...), {@code /etc/lkmd}, the module dir.
     */
    public static List<Path> dirs(Root root, Path modulesDir, Path configFile) {
        List<Path> out = new ArrayList<>();
        RulesLoader.DIRS.forEach(d -> out.add(root.resolve(d)));
        ModprobeConfigLoader.DIRS.forEach(d -> out.add(root.resolve(d)));
        ModprobeConfigLoader.LKMD_DIRS.forEach(d -> out.add(root.resolve(d)));
        out.add(configFile.toAbsolutePath().getParent());
        out.add(modulesDir);
        return out;
    }

    /** File (as resolved under the root) to modification time, sorted by path. */
    public static Map<String, Instant> scan(Root root, Path modulesDir, Path configFile) {
        Map<String, Instant> out = new TreeMap<>();
        Path config = configFile.toAbsolutePath();
        for (Path dir : dirs(root, modulesDir, configFile)) {
            boolean index = dir.equals(modulesDir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    boolean wanted = index ? name.startsWith("modules.")
                            : dir.equals(config.getParent()) && !dir.endsWith("rules.d") ? p.equals(config)
                            : name.endsWith(".rules") || name.endsWith(".conf");
                    if (wanted && Files.isRegularFile(p)) {
                        out.put(p.toString(), Files.getLastModifiedTime(p).toInstant());
                    }
                }
            } catch (IOException e) {
                // a missing directory contributes nothing, as for the loaders
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
