package org.lkmd.kernel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything that touches the running kernel's module subsystem. {@code LinuxKernel} does it with
 * syscalls; {@link SimulatedKernel} keeps the same contract over a fake root, so the rest of lkmd
 * sees "already loaded" through the same sysfs paths either way.
 *
 * <p>Errors are thrown as {@link KernelException} carrying the errno; callers decide what an errno
 * means (EEXIST on load is success for modprobe).
 */
public interface Kernel {

    /** {@code MODULE_INIT_IGNORE_MODVERSIONS} */
    int MODULE_INIT_IGNORE_MODVERSIONS = 1;
    /** {@code MODULE_INIT_IGNORE_VERMAGIC} */
    int MODULE_INIT_IGNORE_VERMAGIC = 2;
    /** {@code MODULE_INIT_COMPRESSED_FILE}: the kernel decompresses (Linux 6.4+). */
    int MODULE_INIT_COMPRESSED_FILE = 4;

    /** {@code O_NONBLOCK} for {@link #deleteModule}. */
    int O_NONBLOCK = 04000;
    /** {@code O_TRUNC} for {@link #deleteModule}: force. */
    int O_TRUNC = 01000;

    /** The running kernel's release, as {@code uname -r} prints it. */
    String release();

    /** {@code finit_module(fd of ko, params, flags)}. */
    void finitModule(Path ko, String params, int flags) throws KernelException;

    /** {@code init_module(image, len, params)} with an already decompressed image. */
    void initModule(ByteBuffer image, String params) throws KernelException;

    /** {@code delete_module(name, flags)}. */
    void deleteModule(String name, int flags) throws KernelException;

    /** The module's state from {@code /sys/module/<name>}. Builtin only when sysfs says so. */
    ModuleState state(String name);

    /** The module's use count ({@code /sys/module/<name>/refcnt}), -1 when unknown. */
    int refcount(String name);

    /** The modules that hold this one ({@code /sys/module/<name>/holders}, in the directory's order, as libkmod reads it). */
    List<String> holders(String name);

    /**
     * The devices bound to the module's drivers: the device links under
     * {@code /sys/module/<name>/drivers/<bus>:<driver>/}, as {@code <bus>:<driver>/<device>}, sorted.
     * A driver bound to a present device usually leaves refcount 0 and no holders: this is what
     * shows it is in use.
     */
    List<String> boundDevices(String name);

    /**
     * The module's parameters as the kernel shows them ({@code /sys/module/<name>/parameters/*}),
     * name to value without the trailing newline; only the readable ones (a parameter registered
     * with permission 0 has no file, a write-only one cannot be read). Empty when none.
     */
    Map<String, String> parameters(String name);

    /** {@code /proc/modules}, in the kernel's order (most recently loaded first). */
    List<LoadedModule> loadedModules();

    /** Algorithms the kernel decompresses itself ({@code /sys/module/compression}); empty if none. */
    Set<String> compressionAlgorithms();
}
