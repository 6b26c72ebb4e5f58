package org.lkmd.elf;

import net.fornwall.jelf.ElfException;
import net.fornwall.jelf.ElfFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * libkmod reads it: the ELF header and section table through jelf, section contents straight from
 * the (mapped or decompressed) image.
 *
 * <ul>
 *   <li>{@link #modInfo()}: {@code .modinfo} records;</li>
 *   <li>{@link #exportedSymbols()}: the names of {@code __crc_*} symbols in {@code .symtab} order
 *       when there are any (modversions), else the strings of {@code __ksymtab_strings};</li>
 *   <li>{@link #dependencySymbols()}: undefined {@code .symtab} symbols in table order with their
 *       {@code __versions} CRC, then the {@code __versions} entries no symbol referred to;</li>
 *   <li>{@link #signature()}: the appended module signature.</li>
 * </ul>
 * Errors carry kmod's errno text: a bad magic is "Exec format error", anything out of range
 * "Invalid argument", a missing section "No such file or directory".
 */
public final class KoFile {
    private static final int SHN_UNDEF = 0;

    /** An undefined symbol the module needs. {@code bind} is the ELF binding (1 global, 2 weak) or -1 for a {@code __versions}-only entry. */
    public record DependencySymbol(String name, long crc, int bind) {
        public boolean weak() {
            return bind == 2;
        }
    }

    private record Section(String name, int type, long offset, long size) {
    }

    private final String path;
    private final ByteBuffer image;
    private final boolean is64;
    private final List<Section> sections;

    private KoFile(String path, ByteBuffer image) throws KoFileException {
        this.path = path;
        this.image = image;
        int size = image.limit();
        if (size < 16 || image.get(0) != 0x7f || image.get(1) != 'E' || image.get(2) != 'L' || image.get(3) != 'F') {
            throw new KoFileException(KoFileException.ENOEXEC, "not an ELF file");
        }
        int cls = image.get(4);
        int data = image.get(5);
        if (cls != 1 && cls != 2) {
            throw new KoFileException(KoFileException.EINVAL, "unknown ELF class " + cls);
        }
        if (data != 1 && data != 2) {
            throw new KoFileException(KoFileException.EINVAL, "unknown ELF byte order " + data);
        }
        is64 = cls == 2;
        image.order(data == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int ehsize = is64 ? 64 : 52;
        if (size <= ehsize) {
            throw new KoFileException(KoFileException.EINVAL, "file too short for an ELF header (" + size + " bytes)");
        }
        ElfFile elf;
        try {
            elf = ElfFile.from(new BufferBackingFile(image));
        } catch (ElfException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new KoFileException(KoFileException.EINVAL, "bad ELF header: " + e.getMessage());
        }
        int shnum = elf.e_shnum & 0xffff;
        int shentsize = elf.e_shentsize & 0xffff;
        long shoff = elf.e_shoff;
        if (shentsize != (is64 ? 64 : 40)) {
            throw new KoFileException(KoFileException.EINVAL, "unexpected section header size " + shentsize);
        }
        if (shoff < 0 || shoff + (long) shnum * shentsize > size) {
            throw new KoFileException(KoFileException.EINVAL, "section headers beyond end of file");
        }
        if ((elf.e_shstrndx & 0xffff) >= shnum) {
            throw new KoFileException(KoFileException.EINVAL, "section name table index out of range");
        }
        // Section headers are decoded here rather than with jelf's getSection(), which eagerly
        // parses whole relocation and symbol sections: depmod would pay for that 4,000 times.
        List<Section> list = new ArrayList<>(shnum);
        int shstrndx = elf.e_shstrndx & 0xffff;
        long strOff = shField(shoff, shstrndx, 0x18, 0x10);
        long strSize = shField(shoff, shstrndx, 0x20, 0x14);
        if (strOff < 0 || strSize < 0 || strOff + strSize > size) {
            throw new KoFileException(KoFileException.EINVAL, "section name table beyond end of file");
        }
        for (int i = 0; i < shnum; i++) {
            long base = shoff + (long) i * shentsize;
            long nameOff = Integer.toUnsignedLong(image.getInt((int) base));
            int type = image.getInt((int) base + 4);
            String name = i == 0 ? "" : cString((int) strOff, nameOff, (int) strSize);
            list.add(new Section(name, type, shField(shoff, i, 0x18, 0x10), shField(shoff, i, 0x20, 0x14)));
        }
        sections = list;
    }

    /** One address-sized field of section header {@code i} (offset of the field for 64-bit and 32-bit ELF). */
    private long shField(long shoff, int i, int off64, int off32) {
        if (is64) {
            return image.getLong((int) (shoff + (long) i * 64 + off64));
        }
        return Integer.toUnsignedLong(image.getInt((int) (shoff + (long) i * 40 + off32)));
    }

    /** Parses an image already in memory (decompressed). {@code path} only names it in messages. */
    public static KoFile parse(String path, ByteBuffer image) throws KoFileException {
        return new KoFile(path, image.duplicate());
    }

    /**
     * Opens a module file: uncompressed files are mapped, compressed ones decompressed into memory.
     *
     * @throws KoFileException for a file that is not a module as kmod would reject it
     * @throws IOException     when the file cannot be read at all
     */
    public static KoFile open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(6);
            ch.read(head, 0);
            Compression c = Compression.detect(head.array(), head.position());
            if (c == Compression.NONE) {
                if (size > Compression.MAX_IMAGE) {
                    throw new KoFileException(KoFileException.EINVAL, "file larger than " + (Compression.MAX_IMAGE >> 20) + " MiB");
                }
                return new KoFile(file.toString(), ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
            }
            if (size > Compression.MAX_IMAGE) {
                throw new KoFileException(KoFileException.EINVAL, "file larger than " + (Compression.MAX_IMAGE >> 20) + " MiB");
            }
            ByteBuffer raw = ByteBuffer.allocate((int) size);
            while (raw.hasRemaining() && ch.read(raw) >= 0) {
                // read it all
            }
            byte[] data;
            try {
                data = c.decompress(raw.array());
            } catch (IOException e) {
                throw new KoFileException(KoFileException.EINVAL, c.kernelName() + " data corrupt: " + e.getMessage());
            }
            return new KoFile(file.toString(), ByteBuffer.wrap(data));
        }
    }

    /** The path this module was read from (for messages). */
    public String path() {
        return path;
    }

    /** The decompressed image (read-only view). */
    public ByteBuffer image() {
        return image.asReadOnlyBuffer().order(image.order());
    }

    private String cString(int base, long off, int limit) throws KoFileException {
        if (off < 0 || off >= limit) {
            throw new KoFileException(KoFileException.EINVAL, "string offset " + off + " out of range");
        }
        int start = base + (int) off;
        int end = start;
        int max = base + limit;
        while (end < max && image.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - start];
        image.get(start, b);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private Section find(String name) {
        for (int i = 1; i < sections.size(); i++) {
            Section s = sections.get(i);
            if (s.name.equals(name)) {
                return s;
            }
        }
        return null;
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
        if (s.offset < 0 || s.size < 0 || s.offset + s.size > image.limit()) {
            throw new KoFileException(KoFileException.EINVAL, "section " + s.name + " (offset " + s.offset + ", size "
                    + s.size + ") beyond end of file (" + image.limit() + " bytes)");
        }
    }

    private boolean inRange(Section s) {
        try {
            checkRange(s);
            return true;
        } catch (KoFileException e) {
            return false;
        }
    }

    private byte[] bytes(Section s) {
        byte[] b = new byte[(int) s.size];
        image.get((int) s.offset, b);
        return b;
    }

    /** True when the module has a section of that name. */
    public boolean hasSection(String name) {
        return find(name) != null;
    }

    /** The {@code .modinfo} records. @throws KoFileException (ENOENT) when the module has none */
    public ModInfo modInfo() throws KoFileException {
        return ModInfo.parse(bytes(require(".modinfo")));
    }

    /** Exported symbol names as depmod takes them (see class comment). */
    public List<String> exportedSymbols() throws KoFileException {
        List<String> crcs = new ArrayList<>();
        Section strtab = find(".strtab");
        Section symtab = find(".symtab");
        // as libkmod: an unusable .symtab/.strtab just means falling back to __ksymtab_strings
        if (strtab != null && symtab != null && inRange(strtab) && inRange(symtab)) {
            int entSize = is64 ? 24 : 16;
            int count = (int) (symtab.size / entSize);
            boolean usable = true;
            for (int i = 1; i < count && usable; i++) {
                long nameOff = Integer.toUnsignedLong(image.getInt((int) symtab.offset + i * entSize));
                if (nameOff >= strtab.size) {
                    usable = false;
                    break;
                }
                int p = (int) (strtab.offset + nameOff);
                if (startsWith(p, "__crc_")) {
                    crcs.add(cString((int) strtab.offset, nameOff + 6, (int) strtab.size));
                }
            }
            if (usable && !crcs.isEmpty()) {
                return crcs;
            }
        }
        Section ks = require("__ksymtab_strings");
        byte[] b = bytes(ks);
        int from = 0;
        while (from < b.length - 1 && b[from] == 0) {
            from++;
        }
        if (b.length > 0 && b[b.length - 1] != 0) {
            throw new KoFileException(KoFileException.EINVAL, "__ksymtab_strings not NUL-terminated");
        }
        return KoStrings.split(b, from, b.length);
    }

    private boolean startsWith(int pos, String s) {
        if (pos + s.length() > image.limit()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (image.get(pos + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The {@code __versions} table: symbol name to CRC, in table order. Empty when absent or malformed. */
    public Map<String, Long> versions() throws KoFileException {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
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
        for (int i = 0; i < v.size / entry; i++) {
            int base = (int) v.offset + i * entry;
            long crc = is64 ? image.getLong(base) : Integer.toUnsignedLong(image.getInt(base));
            String name = cString(base + crcLen, 0, entry - crcLen);
            out.putIfAbsent(name, crc);
        }
        return out;
    }

    /** Undefined symbols in {@code .symtab} order, then {@code __versions}-only names. */
    public List<DependencySymbol> dependencySymbols() throws KoFileException {
        Section strtab = require(".strtab");
        Section symtab = require(".symtab");
        Map<String, Long> versions = versions();
        Map<String, Boolean> visited = new HashMap<>();
        int entSize = is64 ? 24 : 16;
        int count = (int) (symtab.size / entSize);
        List<DependencySymbol> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int base = (int) symtab.offset + i * entSize;
            long nameOff = Integer.toUnsignedLong(image.getInt(base));
            int info;
            int shndx;
            if (is64) {
                info = image.get(base + 4) & 0xff;
                shndx = image.getShort(base + 6) & 0xffff;
            } else {
                info = image.get(base + 12) & 0xff;
                shndx = image.getShort(base + 14) & 0xffff;
            }
            if (shndx != SHN_UNDEF) {
                continue;
            }
            String name = cString((int) strtab.offset, nameOff, (int) strtab.size);
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
    public Optional<ModuleSignature> signature() {
        return ModuleSignature.parse(image());
    }
}
