package org.lkmd.loader;

import org.lkmd.elf.Compression;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/**
 * Carries out one {@link LoadStep} against a {@link Kernel}: a module file goes in through
 * {@code finit_module} (handing compressed files to the kernel when it decompresses that
 * algorithm itself, else decompressing here and using {@code init_module}); an install command
 * runs through {@code /bin/sh -c} with {@code MODPROBE_MODULE} set.
 */
public final class StepRunner {
    private final Kernel kernel;
    private final int forceFlags;

    public StepRunner(Kernel kernel, boolean forceModversion, boolean forceVermagic) {
        this.kernel = kernel;
        this.forceFlags = (forceModversion ? Kernel.MODULE_INIT_IGNORE_MODVERSIONS : 0)
                | (forceVermagic ? Kernel.MODULE_INIT_IGNORE_VERMAGIC : 0);
    }

    /** An install command that exited non-zero (or could not start). */
    public static final class CommandFailedException extends Exception {
        public CommandFailedException(String message) {
            super(message);
        }
    }

    public void run(LoadStep step) throws KernelException, CommandFailedException {
        if (step instanceof LoadStep.Insert s) {
            insert(s);
        } else if (step instanceof LoadStep.Install s) {
            install(s);
        } else if (step instanceof LoadStep.Missing s) {
            throw new KernelException(Errno.ENOSYS, "could not find module by name='" + s.module() + "'");
        }
        // LoadStep.Builtin: nothing to load, the kernel has it
    }

    private void insert(LoadStep.Insert s) throws KernelException {
        byte[] head = new byte[6];
        int n;
        try (InputStream in = Files.newInputStream(s.path())) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new KernelException(Errno.ENOENT, "open(" + s.path() + ")");
        } catch (IOException e) {
            throw new KernelException(Errno.EIO, "read(" + s.path() + ")");
        }
        Compression c = Compression.detect(head, n);
        if (c == Compression.NONE) {
            kernel.finitModule(s.path(), s.options(), forceFlags);
        } else if (kernel.compressionAlgorithms().contains(c.kernelName())) {
            kernel.finitModule(s.path(), s.options(), forceFlags | Kernel.MODULE_INIT_COMPRESSED_FILE);
        } else {
            byte[] image;
            try {
                image = c.decompress(Files.readAllBytes(s.path()));
            } catch (IOException e) {
                throw new KernelException(Errno.EINVAL, "decompress(" + s.path() + ")");
            }
            kernel.initModule(ByteBuffer.wrap(image), s.options());
        }
    }

    private void install(LoadStep.Install s) throws CommandFailedException {
        String cmd = s.shellCommand();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd).inheritIO();
        pb.environment().put("MODPROBE_MODULE", s.module());
        int rc;
        try {
            rc = pb.start().waitFor();
        } catch (IOException e) {
            throw new CommandFailedException("Error running install command '" + cmd + "' for module "
                    + s.module() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException("Error running install command '" + cmd + "' for module "
                    + s.module() + ": interrupted");
        }
        if (rc != 0) {
            throw new CommandFailedException("Error running install command '" + cmd + "' for module "
                    + s.module() + ": retcode " + rc);
        }
    }
}
