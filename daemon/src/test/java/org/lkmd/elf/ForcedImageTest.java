package org.lkmd.elf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link ForcedImage} on a minimal ELF64 LSB module: null, .modinfo, __versions, .shstrtab. The
 * Debian tree comparison against kmod's own image is {@code ForceFlagsDifferentialTest}.
 */
class ForcedImageTest {
    private static final String MODINFO = "\0\0license=GPL\0vermagic=6.1.0 SMP mod_unload\0name=x\0vermagic=again\0";
    private static final int SHOFF = 256;

    private static byte[] module() {
        byte[] names = "\0.modinfo\0__versions\0.shstrtab\0".getBytes(StandardCharsets.ISO_8859_1);
        byte[] modinfo = MODINFO.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(SHOFF + 4 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(0x10, (short) 1);
        b.putShort(0x12, (short) 62);
        b.putLong(0x28, SHOFF);
        b.putShort(0x34, (short) 64);
        b.putShort(0x3a, (short) 64);
        b.putShort(0x3c, (short) 4);
        b.putShort(0x3e, (short) 3);
        b.put(64, names);
        b.put(128, modinfo);
        section(b, 1, 1, 1, 0x2, 128, modinfo.length);         // .modinfo, SHF_ALLOC
        section(b, 2, 10, 1, 0x2 | 0x40, 192, 64);             // __versions, SHF_ALLOC|SHF_INFO_LINK
        section(b, 3, 21, 3, 0, 64, names.length);             // .shstrtab
        return b.array();
    }

    private static void section(ByteBuffer b, int i, int name, int type, long flags, long off, long size) {
        int at = SHOFF + i * 64;
        b.putInt(at, name);
        b.putInt(at + 4, type);
        b.putLong(at + 8, flags);
        b.putLong(at + 0x18, off);
        b.putLong(at + 0x20, size);
    }

    private static long flags(byte[] image, int section) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(SHOFF + section * 64 + 8);
    }

    @Test
    void modversionsClearsOnlyTheAllocFlagOfVersions() throws KoFileException {
        byte[] in = module();
        byte[] out = ForcedImage.strip(in, true, false);
        assertEquals(0x40, flags(out, 2));
        assertEquals(0x2, flags(out, 1));
        byte[] back = out.clone();
        ByteBuffer.wrap(back).order(ByteOrder.LITTLE_ENDIAN).putLong(SHOFF + 2 * 64 + 8, 0x42);
        assertArrayEquals(in, back, "nothing else changes");
    }

    @Test
    void vermagicZeroesTheFirstRecordAndKeepsItsLength() throws KoFileException {
        byte[] in = module();
        byte[] out = ForcedImage.strip(in, false, true);
        String modinfo = new String(out, 128, MODINFO.length(), StandardCharsets.ISO_8859_1);
        String gone = "vermagic=6.1.0 SMP mod_unload";
        assertEquals(MODINFO.replace(gone, "\0".repeat(gone.length())), modinfo);
        assertEquals(out.length, in.length);
        assertArrayEquals(Arrays.copyOf(in, 128), Arrays.copyOf(out, 128));
    }

    @Test
    void bothAndNeither() throws KoFileException {
        byte[] in = module();
        assertArrayEquals(in, ForcedImage.strip(in, false, false));
        byte[] both = ForcedImage.strip(in, true, true);
        assertArrayEquals(ForcedImage.strip(ForcedImage.strip(in, true, false), false, true), both);
    }

    @Test
    void notAnElfFileIsKmodsExecFormatError() {
        KoFileException e = assertThrows(KoFileException.class,
                () -> ForcedImage.strip("name=x\0".getBytes(StandardCharsets.US_ASCII), true, true));
        assertEquals(KoFileException.ENOEXEC, e.reason());
    }
}
