package org.lkmd.elf;

import net.fornwall.jelf.ElfFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A kernel module ({@code .ko}, possibly gzip/xz/zstd-compressed, told by magic bytes) read the way
 * libkmod reads it: the ELF header through jelf, the section table and the sections asked for
 * read on demand (positional reads of an uncompressed file, views of a decompressed image).
 *
 * <ul>
 *   <li>{@link #modInfo()}: {@code .modinfo} records;</li>
 *   <li>{@link #exports()} and {@link #exportedSymbols()}: the {@code __crc_*} symbols in
 *       {@code .symtab} order when there are any (modversions), else the strings of
 *       {@code __ksymtab_strings};</li>
 *   <li>{@link #dependencySymbols()}: undefined {@code .symtab} symbols in table order with their
 *       {@code __versions} CRC, then the {@code __versions} entries no symbol referred to;</li>
 *   <li>{@link #signature()}: the appended module signature.</li>
 * </ul>
 * Errors carry kmod's errno text: a bad magic is "Exec format error", anything out of range
 * "Invalid argument", a missing section "No such file or directory".
 */
public final class KoFile implements AutoCloseable {
    private static final int SHN_UNDEF = 0;

    /** An undefined symbol the module needs. {@code bind} is the ELF binding (1 global, 2 weak) or -1 for a {@code __versions}-only entry. */
    public record DependencySymbol(String name, long crc, int bind) {
        public boolean weak() {
            return bind == 2;
        }
    }

    private record Section(int nameOff, int type, long offset, long size) {
    }

    private final String path;
    private final ModuleImage image;
    private final boolean is64;
    private final boolean little;
    private final List<Section> sections;
    private final long shoff;
    private final int shentsize;
    private final SectionBytes sectionNames;

    private KoFile(String path, ModuleImage image) throws KoFileException {
        this.path = path;
        this.image = image;
        long size = image.size();
        byte[] head = read(0, (int) Math.min(size, 64));
        if (head.length < 16 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            throw new KoFileException(KoFileException.ENOEXEC, "not an ELF file");
        }
        int cls = head[4];
        int data = head[5];
        if (cls != 1 && cls != 2) {
            throw new KoFileException(KoFileException.EINVAL, "unknown ELF class " + cls);
        }
        if (data != 1 && data != 2) {
            throw new KoFileException(KoFileException.EINVAL, "unknown ELF byte order " + data);
        }
        is64 = cls == 2;
        little = data == 1;
        int ehsize = is64 ? 64 : 52;
        if (size <= ehsize) {
            throw new KoFileException(KoFileException.EINVAL, "file too short for an ELF header (" + size + " bytes)");
        }
        ElfFile elf;
        try {
            elf = ElfFile.from(new BufferBackingFile(ByteBuffer.wrap(head)));
        } catch (RuntimeException e) {
            // jelf reads header fields as given (e_phnum 0xffff is -1 to it: NegativeArraySizeException)
            // and throws ElfException or other runtime exceptions; any of them means a bad header
            throw new KoFileException(KoFileException.EINVAL, "bad ELF header: " + e);
        }
        int shnum = elf.e_shnum & 0xffff;
        shentsize = elf.e_shentsize & 0xffff;
        shoff = elf.e_shoff;
        if (shentsize != (is64 ? 64 : 40)) {
            throw new KoFileException(KoFileException.EINVAL, "unexpected section header size " + shentsize);
        }
        if (!within(shoff, (long) shnum * shentsize, size)) {
            throw new KoFileException(KoFileException.EINVAL, "section headers beyond end of file");
        }
        int shstrndx = elf.e_shstrndx & 0xffff;
        if (shstrndx >= shnum) {
            throw new KoFileException(KoFileException.EINVAL, "section name table index out of range");
        }
        // Section headers are decoded here rather than with jelf's getSection(), which eagerly
        // parses whole relocation and symbol sections: depmod would pay for that 4,000 times.
        SectionBytes sh = section(shoff, shnum * shentsize);
        List<Section> list = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            int base = i * shentsize;
            long off = is64 ? sh.u64(base + 0x18) : sh.u32(base + 0x10);
            long len = is64 ? sh.u64(base + 0x20) : sh.u32(base + 0x14);
            list.add(new Section((int) Math.min(sh.u32(base), Integer.MAX_VALUE), (int) sh.u32(base + 4), off, len));
        }
        sections = list;
        Section names = list.get(shstrndx);
        if (!within(names.offset, names.size, size)) {
            throw new KoFileException(KoFileException.EINVAL, "section name table beyond end of file");
        }
        sectionNames = section(names.offset, (int) names.size);
    }

    private SectionBytes section(long off, int len) throws KoFileException {
        try {
            return image.section(off, len, little);
        } catch (IOException e) {
            throw new KoFileException("Input/output error", e.getMessage());
        }
    }

    private byte[] read(long off, int len) throws KoFileException {
        try {
            return image.read(off, len);
        } catch (IOException e) {
            throw new KoFileException("Input/output error", e.getMessage());
        }
    }

    /** Parses an image already in memory (decompressed). {@code path} only names it in messages. */
    public static KoFile parse(String path, byte[] image) throws KoFileException {
        return new KoFile(path, ModuleImage.of(image));
    }

    /**
     * Opens a module file: an uncompressed one is read piecewise as sections are asked for (close
     * the KoFile when done), a compressed one is decompressed into memory.
     *
     * @throws KoFileException for a file that is not a module as kmod would reject it
     * @throws IOException     when the file cannot be read at all
     */
    public static KoFile open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(6);
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // a short file simply gives fewer bytes
            }
            Compression c = Compression.detect(head.array(), head.position());
            if (size > Compression.MAX_IMAGE) {
                throw new KoFileException(KoFileException.EINVAL, "file larger than " + (Compression.MAX_IMAGE >> 20) + " MiB");
            }
            if (c == Compression.NONE) {
                return new KoFile(file.toString(), ModuleImage.of(ch, size));
            }
            byte[] raw = ModuleImage.of(ch, size).read(0, (int) size);
            ch.close();
            try {
                return new KoFile(file.toString(), ModuleImage.of(c.decompress(raw)));
            } catch (KoFileException e) {
                throw e;
            } catch (IOException e) {
                throw new KoFileException(KoFileException.EINVAL, c.kernelName() + " data corrupt: " + e.getMessage());
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Releases the file behind this module (a no-op for in-memory images). */
    @Override
    public void close() throws IOException {
        image.close();
    }

    /** The path this module was read from (for messages). */
    public String path() {
        return path;
    }

    private String name(Section s) {
        return s.nameOff < sectionNames.length() ? sectionNames.cString(s.nameOff, sectionNames.length()) : "";
    }

    private Section find(String name) {
        int i = findIndex(name);
        return i < 0 ? null : sections.get(i);
    }

    /** The index of the first section (after the null one) of that name, or -1. */
    private int findIndex(String name) {
        byte[] want = name.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 1; i < sections.size(); i++) {
            Section s = sections.get(i);
            // long: a name offset read as 0xffffffff is clamped to Integer.MAX_VALUE, and adding to it overflows
            if ((long) s.nameOff + want.length < sectionNames.length() && sectionNames.startsWith(s.nameOff, want)
                    && sectionNames.u8(s.nameOff + want.length) == 0) {
                return i;
            }
        }
        return -1;
    }

    private Section require(String name) throws KoFileException {
        Section s = find(name);
        if (s == null) {
            throw new KoFileException(KoFileException.ENOENT, "no " + name + " section");
        }
        checkRange(s);
        return s;
    }

    private void checkRange(Section s) throws KoFileException {
        if (s.type == 8) { // SHT_NOBITS occupies no file space
            return;
        }
        if (!within(s.offset, s.size, image.size())) {
            throw new KoFileException(KoFileException.EINVAL, "section " + name(s) + " (offset " + s.offset + ", size "
                    + s.size + ") beyond end of file (" + image.size() + " bytes)");
        }
    }

    /**
     * True when {@code len} bytes from {@code off} lie inside a file of {@code size} bytes. Written
     * so that nothing overflows: offset and size are 64-bit fields the file chooses, and their sum
     * wrapped negative slipped past a plain {@code off + len > size} (found by fuzzing).
     */
    static boolean within(long off, long len, long size) {
        return off >= 0 && len >= 0 && off <= size && len <= size - off;
    }

    private boolean inRange(Section s) {
        try {
            checkRange(s);
            return true;
        } catch (KoFileException e) {
            return false;
        }
    }

    /** True for a 64-bit ELF file. */
    boolean is64() {
        return is64;
    }

    /** True for a little-endian ELF file. */
    boolean littleEndian() {
        return little;
    }

    /** Where the header of the first section of that name starts in the image, or -1. */
    long sectionHeaderOffset(String name) {
        int i = findIndex(name);
        return i < 0 ? -1 : shoff + (long) i * shentsize;
    }

    /** The file offset and size of the first section of that name, or null when absent or out of range. */
    long[] sectionRange(String name) {
        Section s = find(name);
        return s == null || !inRange(s) || s.type == 8 ? null : new long[] {s.offset, s.size};
    }

    /** True when the module has a section of that name. */
    public boolean hasSection(String name) {
        return find(name) != null;
    }

    /** The {@code .modinfo} records. @throws KoFileException (ENOENT) when the module has none */
    public ModInfo modInfo() throws KoFileException {
        return new ModInfo(ModInfo.entries(sectionBytes(require(".modinfo")).strings(0)));
    }

    private static final byte[] CRC_PREFIX = "__crc_".getBytes(StandardCharsets.US_ASCII);

    private final java.util.Map<Section, SectionBytes> cache = new HashMap<>();

    /** A section's bytes, read once per KoFile (exports and dependencies both walk .symtab/.strtab). */
    private SectionBytes sectionBytes(Section s) throws KoFileException {
        SectionBytes b = cache.get(s);
        if (b == null) {
            b = s.type == 8 ? new SectionBytes(new byte[0], little) : section(s.offset, (int) s.size);
            cache.put(s, b);
        }
        return b;
    }

    /** A symbol the module exports and its CRC: 0 when the module has no modversions. */
    public record Export(String symbol, long crc) {
    }

    /**
     * The module's exports as libkmod lists them ({@code kmod_elf_get_symbols}, what {@code modprobe
     * --show-exports} prints): every {@code __crc_NAME} symbol of {@code .symtab} in table order, its
     * CRC the 32-bit word it points at (or its value when absolute), else, when there is no such
     * symbol or the tables are unusable, the strings of {@code __ksymtab_strings} with CRC 0.
     *
     * @throws KoFileException (ENOENT) when neither is there: the module exports nothing
     */
    public List<Export> exports() throws KoFileException {
        List<Export> crcs = crcExports();
        if (!crcs.isEmpty()) {
            return crcs;
        }
        List<Export> out = new ArrayList<>();
        for (String s : ksymtabStrings()) {
            out.add(new Export(s, 0));
        }
        return out;
    }

    /** Exported symbol names as depmod takes them (see class comment). */
    public List<String> exportedSymbols() throws KoFileException {
        List<Export> crcs = crcExports();
        if (!crcs.isEmpty()) {
            return crcs.stream().map(Export::symbol).toList();
        }
        SectionBytes b = sectionBytes(require("__ksymtab_strings"));
        if (b.length() > 0 && b.u8(b.length() - 1) != 0) {
            throw new KoFileException(KoFileException.EINVAL, "__ksymtab_strings not NUL-terminated");
        }
        return ksymtabStrings();
    }

    /** The {@code __crc_*} symbols; empty when there are none or {@code .symtab}/{@code .strtab} are unusable. */
    private List<Export> crcExports() throws KoFileException {
        List<Export> crcs = new ArrayList<>();
        Section strtabSec = find(".strtab");
        Section symtabSec = find(".symtab");
        // as libkmod: an unusable .symtab/.strtab just means falling back to __ksymtab_strings
        if (strtabSec == null || symtabSec == null || !inRange(strtabSec) || !inRange(symtabSec)) {
            return crcs;
        }
        SectionBytes strtab = sectionBytes(strtabSec);
        SectionBytes symtab = sectionBytes(symtabSec);
        int entSize = is64 ? 24 : 16;
        if (symtab.length() % entSize != 0) {
            return crcs;
        }
        int count = symtab.length() / entSize;
        for (int i = 1; i < count; i++) {
            int base = i * entSize;
            long nameOff = symtab.u32(base);
            if (nameOff >= strtab.length()) {
                return new ArrayList<>();
            }
            if (strtab.startsWith((int) nameOff, CRC_PREFIX)) {
                long value = is64 ? symtab.u64(base + 8) : symtab.u32(base + 4);
                int shndx = symtab.u16(base + (is64 ? 6 : 14));
                crcs.add(new Export(strtab.cString((int) nameOff + CRC_PREFIX.length, strtab.length()),
                        resolveCrc(value, shndx)));
            }
        }
        return crcs;
    }

    private static final int SHN_ABS = 0xfff1;

    /**
     * A {@code __crc_} symbol's CRC. Since Linux 5.19 (and on relocatable builds before) the symbol's
     * value is the offset of the 32-bit CRC inside its section; an absolute or undefined symbol's value
     * is the CRC itself. Whatever cannot be read gives all ones, as libkmod's {@code (uint64_t)-1}.
     */
    private long resolveCrc(long value, int shndx) throws KoFileException {
        if (shndx == SHN_ABS || shndx == SHN_UNDEF) {
            return value;
        }
        if (shndx >= sections.size()) {
            return -1;
        }
        Section s = sections.get(shndx);
        long size = image.size();
        // the section's file range, whatever its type, and then the word: unsigned comparisons, as libkmod's
        if (!within(s.offset, s.size, size) || Long.compareUnsigned(value, s.size - 4) > 0
                || !within(s.offset + value, 4, size)) {
            return -1;
        }
        byte[] w = read(s.offset + value, 4);
        long v = little
                ? (w[0] & 0xff) | (w[1] & 0xff) << 8 | (w[2] & 0xff) << 16 | (long) (w[3] & 0xff) << 24
                : (long) (w[0] & 0xff) << 24 | (w[1] & 0xff) << 16 | (w[2] & 0xff) << 8 | (w[3] & 0xff);
        return v & 0xffffffffL;
    }

    /** {@code __ksymtab_strings} split, leading padding and empty strings dropped. @throws KoFileException (ENOENT) when absent */
    private List<String> ksymtabStrings() throws KoFileException {
        SectionBytes b = sectionBytes(require("__ksymtab_strings"));
        int from = 0;
        while (from < b.length() - 1 && b.u8(from) == 0) {
            from++;
        }
        return b.strings(from);
    }

    /** One entry of the {@code __versions} table. */
    public record Version(String symbol, long crc) {
    }

    /** The {@code __versions} table: symbol name to CRC, in table order. Empty when absent or malformed. */
    public Map<String, Long> versions() throws KoFileException {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (Version v : versionTable()) {
            out.putIfAbsent(v.symbol(), v.crc());
        }
        return out;
    }

    /**
     * Every entry of the {@code __versions} table in table order, repeats kept (what {@code modprobe
     * --show-modversions} prints). Empty when absent or when its size is not a whole number of entries.
     */
    public List<Version> versionTable() throws KoFileException {
        List<Version> out = new ArrayList<>();
        Section v = find("__versions");
        if (v == null) {
            return out;
        }
        checkRange(v);
        int entry = 64;
        int crcLen = is64 ? 8 : 4;
        if (v.size % entry != 0) {
            return out;
        }
        SectionBytes vb = sectionBytes(v);
        for (int i = 0; i < vb.length() / entry; i++) {
            int base = i * entry;
            long crc = is64 ? vb.u64(base) : vb.u32(base);
            out.add(new Version(vb.cString(base + crcLen, base + entry), crc));
        }
        return out;
    }

    /** Undefined symbols in {@code .symtab} order, then {@code __versions}-only names. */
    public List<DependencySymbol> dependencySymbols() throws KoFileException {
        SectionBytes strtab = sectionBytes(require(".strtab"));
        SectionBytes symtab = sectionBytes(require(".symtab"));
        Map<String, Long> versions = versions();
        Map<String, Boolean> visited = new HashMap<>();
        int entSize = is64 ? 24 : 16;
        int count = symtab.length() / entSize;
        List<DependencySymbol> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int base = i * entSize;
            long nameOff = symtab.u32(base);
            int info = symtab.u8(base + (is64 ? 4 : 12));
            int shndx = symtab.u16(base + (is64 ? 6 : 14));
            if (shndx != SHN_UNDEF) {
                continue;
            }
            if (nameOff >= strtab.length()) {
                throw new KoFileException(KoFileException.EINVAL, "symbol name offset " + nameOff + " beyond .strtab");
            }
            String name = strtab.cString((int) nameOff, strtab.length());
            if (name.isEmpty()) {
                continue;
            }
            Long crc = versions.get(name);
            if (crc != null) {
                visited.put(name, Boolean.TRUE);
            }
            out.add(new DependencySymbol(name, crc == null ? 0 : crc, info >> 4));
        }
        for (Map.Entry<String, Long> e : versions.entrySet()) {
            if (!visited.containsKey(e.getKey())) {
                out.add(new DependencySymbol(e.getKey(), e.getValue(), -1));
            }
        }
        return out;
    }

    /** The appended signature, if the image ends with kmod's signature trailer. */
    public Optional<ModuleSignature> signature() throws KoFileException {
        long size = image.size();
        // the trailer is at most 40 bytes of descriptor and magic after the signature, signer and key id
        int tailLen = (int) Math.min(size, 40);
        byte[] tail = read(size - tailLen, tailLen);
        long sigLen = tailLen == 40 ? SectionBytes.be32(tail, 8 + 0) : 0;
        long want = Math.min(size, 40 + sigLen + (tail.length == 40 ? (tail[3] & 0xff) + (tail[4] & 0xff) : 0));
        if (want > tailLen && want <= Integer.MAX_VALUE) {
            tail = read(size - want, (int) want);
        }
        return ModuleSignature.parse(ByteBuffer.wrap(tail), size);
    }
}
