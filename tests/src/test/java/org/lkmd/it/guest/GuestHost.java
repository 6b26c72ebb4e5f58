package org.lkmd.it.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the guest tests need of this host, and how they show a console: shared by every guest test. */
public final class GuestHost {
    private GuestHost() {
    }

    /** True when an executable of that name is on PATH or in the usual bin and sbin directories. */
    public static boolean onPath(String exe) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }

    /** True when some /lib/modules/REL has its kernel at /boot/vmlinuz-REL. */
    public static boolean hasKernelImage() throws IOException {
        Path mods = Path.of("/lib/modules");
        if (!Files.isDirectory(mods)) {
            return false;
        }
        try (var s = Files.list(mods)) {
            return s.anyMatch(d -> Files.isRegularFile(Path.of("/boot/vmlinuz-" + d.getFileName())));
        }
    }

    /** The last {@code lines} lines of a console. */
    public static String tail(CharSequence s, int lines) {
        List<String> all = List.of(s.toString().split("\n"));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
