package org.lkmd.base;

import java.nio.file.Path;
import java.util.Map;

/**
 * The daemon's runtime directory: {@code $RUNTIME_DIRECTORY}, which systemd sets from the unit's
 * {@code RuntimeDirectory=} (the first, if it names several, colon-separated), else
 * {@code /run/lkmd}. The one variable lkmd reads for it.
 */
public final class RuntimeDir {
    public static final String VARIABLE = "RUNTIME_DIRECTORY";
    public static final String DEFAULT = "/run/lkmd";

    private RuntimeDir() {
    }

    /** The directory {@code env} names, else {@code fallback} (the default, under the root where there is one). */
    public static Path of(Map<String, String> env, Path fallback) {
        String dir = env.get(VARIABLE);
        if (dir == null || dir.isEmpty()) {
            return fallback;
        }
        return Path.of(dir.split(":")[0]);
    }
}
