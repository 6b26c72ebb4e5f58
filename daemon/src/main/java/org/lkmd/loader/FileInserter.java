package org.lkmd.loader;

import org.lkmd.elf.Compression;
import org.lkmd.elf.ForcedImage;
import org.lkmd.elf.KoFileException;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Puts one module file into a kernel the way kmod does: an uncompressed file goes by
 * {@code finit_module}; a compressed one too, with {@code MODULE_INIT_COMPRESSED_FILE}, when the
 * kernel lists its algorithm in {@code /sys/module/compression}; otherwise lkmd decompresses it and
 * uses {@code init_module}. Compression is told by magic bytes, never by the file name. A kernel
 * without {@code finit_module} (ENOSYS) gets the image through {@code init_module}. On that path
 * the {@code MODULE_INIT_IGNORE_*} flags become edits of the image ({@link ForcedImage}), as
 * libkmod's {@code kmod_module_insert_module} makes them.
 */
public final class FileInserter {
    private final Kernel kernel;

    public FileInserter(Kernel kernel) {
        this.kernel = kernel;
    }

    /** How the file went in, for verbose output and the event log. */
    public enum Method { FINIT, FINIT_COMPRESSED, INIT_DECOMPRESSED }

    /**
     * Inserts the file with these parameters and extra flags ({@code MODULE_INIT_IGNORE_*}).
     *
     * @throws KernelException ENOENT when the file is missing (as the open would fail), the
     *                         syscall's errno otherwise, EINVAL/ENOEXEC for an undecodable file
     */
    public Method insert(Path file, String params, int flags) throws KernelException {
        String opts = params == null ? "" : params;
        Compression c = detect(file);
        if (c == Compression.NONE) {
            try {
                kernel.finitModule(file, opts, flags);
                return Method.FINIT;
            } catch (KernelException e) {
                if (e.errno() != Errno.ENOSYS) {
                    throw e;
                }
            }
        } else if (kernel.compressionAlgorithms().contains(c.kernelName())) {
            kernel.finitModule(file, opts, flags | Kernel.MODULE_INIT_COMPRESSED_FILE);
            return Method.FINIT_COMPRESSED;
        }
        byte[] image;
        try {
            image = c.decompress(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new KernelException(Errno.ENOENT, "open(" + file + ")");
        } catch (IOException e) {
            // a truncated or corrupt archive: the kernel would call it a bad module format
            throw new KernelException(Errno.ENOEXEC, "decompress(" + file + ")");
        }
        boolean modversions = (flags & Kernel.MODULE_INIT_IGNORE_MODVERSIONS) != 0;
        boolean vermagic = (flags & Kernel.MODULE_INIT_IGNORE_VERMAGIC) != 0;
        if (modversions || vermagic) {
            // init_module takes no flags: libkmod edits the image instead
            try {
                image = ForcedImage.strip(image, modversions, vermagic);
            } catch (KoFileException e) {
                throw new KernelException(KoFileException.ENOEXEC.equals(e.reason()) ? Errno.ENOEXEC : Errno.EINVAL,
                        "read ELF (" + file + ")");
            }
        }
        kernel.initModule(ByteBuffer.wrap(image), opts);
        return Method.INIT_DECOMPRESSED;
    }

    private static Compression detect(Path file) throws KernelException {
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new KernelException(Errno.ENOENT, "open(" + file + ")");
        } catch (IOException e) {
            throw new KernelException(Files.isDirectory(file) ? Errno.EISDIR : Errno.EIO, "open(" + file + ")");
        }
        return Compression.detect(head, n);
    }
}
