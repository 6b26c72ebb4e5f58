package org.lkmd.kernel;

import org.lkmd.base.RuntimeDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where JNA unpacks its native library. JNA takes {@code jna.tmpdir}, else {@code java.io.tmpdir};
 * in early boot {@code /tmp} may be missing or read-only, so when neither property names a
 * writable directory this picks the runtime directory ({@link RuntimeDir}: {@code $RUNTIME_DIRECTORY},
 * else {@code /run/lkmd}). Must run before the first JNA class is initialised.
 */
final class NativeTmpDir {
    static final String PROPERTY = "jna.tmpdir";

    private NativeTmpDir() {
    }

    /** Sets {@code jna.tmpdir} if it is unset and the default temp dir is unusable; returns the dir JNA will use. */
    static synchronized Path ensure() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null) {
            return Path.of(configured);
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        if (writableDir(tmp)) {
            return tmp;
        }
        Path runtime = RuntimeDir.of(System.getenv(), Path.of(RuntimeDir.DEFAULT));
        try {
            Files.createDirectories(runtime);
        } catch (IOException e) {
            // leave JNA its default; its own error will name the directory
            return tmp;
        }
        System.setProperty(PROPERTY, runtime.toString());
        return runtime;
    }

    private static boolean writableDir(Path p) {
        return Files.isDirectory(p) && Files.isWritable(p);
    }
}
