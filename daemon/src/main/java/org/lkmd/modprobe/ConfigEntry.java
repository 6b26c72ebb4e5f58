package org.lkmd.modprobe;

/** One understood modprobe.d line, with where it came from (for {@code explain} and diagnostics). */
public sealed interface ConfigEntry {
    String file();

    int line();

    record Alias(String pattern, String module, String file, int line) implements ConfigEntry {
    }

    record Options(String module, String options, String file, int line) implements ConfigEntry {
    }

    record Install(String pattern, String command, String file, int line) implements ConfigEntry {
    }

    record Remove(String pattern, String command, String file, int line) implements ConfigEntry {
    }

    record Blacklist(String module, String file, int line) implements ConfigEntry {
    }

    record SoftdepLine(Softdep softdep, String file, int line) implements ConfigEntry {
    }

    record WeakdepLine(Weakdep weakdep, String file, int line) implements ConfigEntry {
    }

    /**
     * lkmd's {@code deny NAME}: the module is never loaded by lkmd, by any path (kmod's tools do not
     * know the line and ignore it with an error).
     */
    record Deny(String module, String file, int line) implements ConfigEntry {
        /** {@code FILE:LINE}, as {@code explain} and messages name the line. */
        public String where() {
            return file + ":" + line;
        }
    }
}
