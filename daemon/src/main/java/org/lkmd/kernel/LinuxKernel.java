package org.lkmd.kernel;

import org.lkmd.base.ModuleNames;
import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The running Linux kernel, through the module syscalls (x86_64 numbers) called with JNA, and its
 * module state read from {@code /sys/module} and {@code /proc/modules}. The only place where errno
 * becomes a {@link KernelException}.
 *
 * <p>Blocking: {@code finit_module} and {@code init_module} block for as long as the module's init
 * runs (a racing second load of the same module waits for the first and then gets EEXIST).
 * {@code delete_module} is called as given; callers pass {@link #O_NONBLOCK}, as kmod does.
 */
public final class LinuxKernel implements Kernel {
    static final long SYS_INIT_MODULE = 175;
    static final long SYS_DELETE_MODULE = 176;
    static final long SYS_FINIT_MODULE = 313;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    /** libc, with errno turned into {@link LastErrorException}. */
    interface LibC extends Library {
        NativeLong syscall(NativeLong number, Object... args) throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private final Root root;
    private final SysfsModules sysfs;
    private final String release;
    private volatile LibC libc;

    private LinuxKernel(Root root, String release) {
        this.root = root;
        this.sysfs = new SysfsModules(root);
        this.release = release;
    }

    /**
     * The kernel this process runs on. {@code root} is {@code /} on a real system; another root
     * only redirects the sysfs/procfs reads (useful for a chroot with bind mounts).
     */
    public static LinuxKernel open(Root root, String release) {
        return new LinuxKernel(root, release);
    }

    /** libc, bound on first use: reading state (lsmod) should not pay for JNA's start-up. */
    private LibC libc() {
        LibC l = libc;
        if (l == null) {
            synchronized (this) {
                if (libc == null) {
                    libc = NativeC.load(LibC.class);
                }
                l = libc;
            }
        }
        return l;
    }

    @Override
    public String release() {
        return release;
    }

    @Override
    public void finitModule(Path ko, String params, int flags) throws KernelException {
        String call = "finit_module(" + ko + ")";
        int fd;
        try {
            fd = libc().open(ko.toString(), O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new KernelException(Errno.of(e.getErrorCode()), "open(" + ko + ")");
        }
        try {
            libc().syscall(new NativeLong(SYS_FINIT_MODULE), fd, params == null ? "" : params, flags);
        } catch (LastErrorException e) {
            throw new KernelException(Errno.of(e.getErrorCode()), call);
        } finally {
            try {
                libc().close(fd);
            } catch (LastErrorException e) {
                // nothing to do: the load's own result is what matters
            }
        }
    }

    @Override
    public void initModule(ByteBuffer image, String params) throws KernelException {
        int len = image.remaining();
        if (len == 0) {
            throw new KernelException(Errno.ENOEXEC, "init_module");
        }
        Memory mem = new Memory(len);
        byte[] chunk = new byte[Math.min(len, 1 << 20)];
        ByteBuffer src = image.duplicate();
        long off = 0;
        while (src.hasRemaining()) {
            int n = Math.min(chunk.length, src.remaining());
            src.get(chunk, 0, n);
            mem.write(off, chunk, 0, n);
            off += n;
        }
        try {
            libc().syscall(new NativeLong(SYS_INIT_MODULE), mem, new NativeLong(len), params == null ? "" : params);
        } catch (LastErrorException e) {
            throw new KernelException(Errno.of(e.getErrorCode()), "init_module");
        } finally {
            mem.close();
        }
    }

    @Override
    public void deleteModule(String name, int flags) throws KernelException {
        String n = ModuleNames.normalizeName(name);
        try {
            libc().syscall(new NativeLong(SYS_DELETE_MODULE), n, flags);
        } catch (LastErrorException e) {
            throw new KernelException(Errno.of(e.getErrorCode()), "delete_module(" + n + ")");
        }
    }

    @Override
    public ModuleState state(String name) {
        return sysfs.state(name);
    }

    @Override
    public int refcount(String name) {
        return sysfs.refcount(name);
    }

    @Override
    public List<String> holders(String name) {
        return sysfs.holders(name);
    }

    @Override
    public List<String> boundDevices(String name) {
        return sysfs.boundDevices(name);
    }

    @Override
    public Map<String, String> parameters(String name) {
        return sysfs.parameters(name);
    }

    @Override
    public List<LoadedModule> loadedModules() {
        return sysfs.loadedModules();
    }

    @Override
    public Set<String> compressionAlgorithms() {
        return sysfs.compression();
    }
}
