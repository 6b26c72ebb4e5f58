package org.lkmd.elf;

import java.nio.charset.StandardCharsets;

/**
 * A module image made loadable against the kernel's checks the way libkmod does it for
 * {@code modprobe --force-modversion} / {@code --force-vermagic} when the module goes in through
 * {@code init_module} (a kernel without {@code finit_module}, or a compressed file kmod 30 inflates
 * itself), where no {@code MODULE_INIT_IGNORE_*} flag can be passed:
 * <ul>
 *   <li>modversions: the {@code __versions} section loses {@code SHF_ALLOC} in its header, so the
 *       kernel does not see the table;</li>
 *   <li>vermagic: the first {@code vermagic=...} record of {@code .modinfo} is overwritten with NULs.</li>
 * </ul>
 * Everything else is byte for byte the file's. A module without the section or record is passed on
 * unchanged in that respect (libkmod only notes it at info level).
 */
public final class ForcedImage {
    private static final long SHF_ALLOC = 0x2;
    private static final byte[] VERMAGIC = "vermagic=".getBytes(StandardCharsets.US_ASCII);

    private ForcedImage() {
    }

    /**
     * A copy of {@code image} (an uncompressed module) with the checks asked for removed.
     *
     * @throws KoFileException when the image is not an ELF file kmod would read (kmod then fails
     *                         with that errno before calling {@code init_module})
     */
    public static byte[] strip(byte[] image, boolean modversions, boolean vermagic) throws KoFileException {
        KoFile ko = KoFile.parse("init_module image", image);
        byte[] out = image.clone();
        if (modversions) {
            long header = ko.sectionHeaderOffset("__versions");
            if (header >= 0) {
                // sh_flags follows sh_name and sh_type in both classes: a word in ELF32, a double word in ELF64
                int off = (int) header + 8;
                int len = ko.is64() ? 8 : 4;
                if (KoFile.within(off, len, out.length)) {
                    put(out, off, len, get(out, off, len, ko.littleEndian()) & ~SHF_ALLOC, ko.littleEndian());
                }
            }
        }
        if (vermagic) {
            long[] range = ko.sectionRange(".modinfo");
            if (range != null) {
                clearVermagic(out, (int) range[0], (int) range[1]);
            }
        }
        return out;
    }

    /** Zeroes the first record of {@code .modinfo} that starts with {@code vermagic=} (not its NUL). */
    private static void clearVermagic(byte[] b, int start, int size) {
        // libkmod skips leading padding, then looks only at record starts with room for the prefix after them
        while (size > 1 && b[start] == 0) {
            start++;
            size--;
        }
        if (size <= 1) {
            return;
        }
        for (int i = 0; i < size; i++) {
            if (b[start + i] == 0 || i + 1 >= size || i + VERMAGIC.length >= size) {
                continue;
            }
            int end = start + i;
            while (end < start + size && b[end] != 0) {
                end++;
            }
            if (startsWith(b, start + i, VERMAGIC)) {
                java.util.Arrays.fill(b, start + i, end, (byte) 0);
                return;
            }
            i = end - start;
        }
    }

    private static boolean startsWith(byte[] b, int off, byte[] prefix) {
        for (int k = 0; k < prefix.length; k++) {
            if (b[off + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static long get(byte[] b, int off, int len, boolean little) {
        long v = 0;
        for (int k = 0; k < len; k++) {
            v = v << 8 | (b[off + (little ? len - 1 - k : k)] & 0xff);
        }
        return v;
    }

    private static void put(byte[] b, int off, int len, long v, boolean little) {
        for (int k = 0; k < len; k++) {
            b[off + (little ? k : len - 1 - k)] = (byte) v;
            v >>>= 8;
        }
    }
}
