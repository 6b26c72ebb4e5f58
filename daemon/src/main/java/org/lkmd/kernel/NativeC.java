package org.lkmd.kernel;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The one way lkmd binds libc through JNA. JNA finds {@code "c"} in the process itself (the JVM has
 * libc mapped already), so no library search is needed; but JNA's first use on Linux runs
 * {@code /sbin/ldconfig -p} to build a search path unless {@code jna.platform.library.path} is set.
 * That is a fork and exec on the daemon's critical path at boot (and {@code ldconfig} may be absent
 * or slow in an initramfs), so this sets the property to the multiarch library directories when
 * the administrator has not set it (only libraries other than libc would be looked up there). Also
 * places JNA's unpacked library ({@link NativeTmpDir}).
 */
public final class NativeC {
    static final String SEARCH_PATH = "jna.platform.library.path";

    private NativeC() {
    }

    /** libc bound to {@code api}, with errno as {@link com.sun.jna.LastErrorException} where declared. */
    public static <T extends Library> T load(Class<T> api) {
        prepare();
        return Native.load("c", api);
    }

    /** Sets JNA's properties before its first class is initialised; idempotent. */
    static synchronized void prepare() {
        NativeTmpDir.ensure();
        if (System.getProperty(SEARCH_PATH) == null) {
            String triplet = switch (System.getProperty("os.arch", "")) {
                case "amd64", "x86_64" -> "x86_64-linux-gnu";
                case "aarch64" -> "aarch64-linux-gnu";
                default -> null;
            };
            System.setProperty(SEARCH_PATH, (triplet == null ? "" : "/usr/lib/" + triplet + ":/lib/" + triplet + ":")
                    + "/usr/lib:/lib");
        }
    }
}
