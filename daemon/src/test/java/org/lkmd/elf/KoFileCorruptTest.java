package org.lkmd.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Corrupt modules found by {@link KoFileFuzzTest}, each test named after the input file kept in
 * {@code KoFileFuzzTestInputs/readEveryModule/} (which Jazzer replays too). The images are built
 * here: a minimal 64-bit little-endian relocatable ELF with the sections the case needs.
 */
class KoFileCorruptTest {

    /**
     * A section whose sh_name is 0xffffffff: the offset is clamped to Integer.MAX_VALUE, and the
     * by-name lookup added the name's length to it, overflowed, and indexed outside the name
     * table (ArrayIndexOutOfBoundsException). Now the section simply has no name.
     */
    @Test
    void crashSectionNameOffsetNearIntMax() throws IOException, KoFileException {
        byte[] image = imageWithUnnamedSection(0xffffffff);
        assertArrayEquals(image, input("crash-section-name-offset-near-int-max"));

        KoFile ko = KoFile.parse("x.ko", image);
        assertTrue(ko.hasSection(".modinfo"));
        assertEquals("platform:pcspkr", ko.modInfo().first("alias"));
    }

    /** e_phnum 0xffff: jelf took it as -1 and threw NegativeArraySizeException out of KoFile.parse. */
    @Test
    void crashProgramHeaderCountFfff() throws IOException {
        byte[] image = imageWithUnnamedSection(1);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putShort(0x36, (short) 0xff00).putShort(0x38, (short) 0xffff);
        assertArrayEquals(image, input("crash-program-header-count-ffff"));

        KoFileException e = assertThrows(KoFileException.class, () -> KoFile.parse("x.ko", image));
        assertEquals(KoFileException.EINVAL, e.reason());
    }

    /**
     * sh_offset and sh_size both huge: their sum wrapped negative and passed the "beyond end of
     * file" check, and reading the section indexed outside the image. Three fuzzing findings in
     * .modinfo and .symtab had this one cause.
     */
    @Test
    void crashSectionOffsetPlusSizeOverflows() throws IOException, KoFileException {
        byte[] image = imageWithUnnamedSection(0);
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int modinfo = (int) b.getLong(0x28) + 2 * 64;
        b.putLong(modinfo + 0x18, 0x6d2e000000001000L).putLong(modinfo + 0x20, 0x2e00000000000010L);
        assertArrayEquals(image, input("crash-section-offset-plus-size-overflows"));

        KoFile ko = KoFile.parse("x.ko", image);
        KoFileException e = assertThrows(KoFileException.class, ko::modInfo);
        assertEquals(KoFileException.EINVAL, e.reason());
        assertTrue(e.detail().contains("beyond end of file"), e.detail());
    }

    @ParameterizedTest
    @CsvSource({"0,0,0,true", "0,10,10,true", "10,0,10,true", "11,0,10,false", "5,6,10,false", "-1,1,10,false",
            "1,-1,10,false", "9223372036854775807,1,10,false", "1,9223372036854775807,10,false"})
    void withinNeverOverflows(long off, long len, long size, boolean expected) {
        assertEquals(expected, KoFile.within(off, len, size));
    }

    private static byte[] input(String name) throws IOException {
        try (InputStream in = KoFileCorruptTest.class.getResourceAsStream("KoFileFuzzTestInputs/readEveryModule/" + name)) {
            return in.readAllBytes();
        }
    }

    /** Sections: null, one named by {@code badName}, .modinfo, .shstrtab. */
    static byte[] imageWithUnnamedSection(int badName) {
        byte[] names = "\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.ISO_8859_1);
        byte[] modinfo = "alias=platform:pcspkr\0license=GPL\0".getBytes(StandardCharsets.ISO_8859_1);
        int namesOff = 64;
        int modinfoOff = namesOff + names.length;
        int shoff = (modinfoOff + modinfo.length + 7) & ~7;
        int shnum = 4;
        ByteBuffer b = ByteBuffer.allocate(shoff + shnum * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(0x10, (short) 1);      // ET_REL
        b.putShort(0x12, (short) 62);     // EM_X86_64
        b.putInt(0x14, 1);
        b.putLong(0x28, shoff);
        b.putShort(0x34, (short) 64);     // e_ehsize
        b.putShort(0x3a, (short) 64);     // e_shentsize
        b.putShort(0x3c, (short) shnum);
        b.putShort(0x3e, (short) 3);      // e_shstrndx
        b.put(namesOff, names);
        b.put(modinfoOff, modinfo);
        section(b, shoff, 1, badName, 1, modinfoOff, modinfo.length);
        section(b, shoff, 2, 1, 1, modinfoOff, modinfo.length);
        section(b, shoff, 3, 10, 3, namesOff, names.length);
        return b.array();
    }

    private static void section(ByteBuffer b, int shoff, int i, int name, int type, long off, long size) {
        int at = shoff + i * 64;
        b.putInt(at, name);
        b.putInt(at + 4, type);
        b.putLong(at + 0x18, off);
        b.putLong(at + 0x20, size);
    }
}
