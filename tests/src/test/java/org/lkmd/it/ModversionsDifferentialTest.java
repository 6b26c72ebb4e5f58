package org.lkmd.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code modprobe --show-modversions} / {@code --dump-modversions} and {@code --show-exports} against
 * kmod 30's on the Debian tree (every 25th module in path order for the first, every 7th for the
 * second, so a few hundred files each), on xz and zstd copies, and on bad input: stdout, stderr and
 * exit status must be the same.
 */
class ModversionsDifferentialTest {
    @TempDir
    static Path tmp;

    private static Tool same(List<String> args) {
        List<String> k = new ArrayList<>(List.of(RealTree.kmodTool("modprobe")));
        k.addAll(args);
        Tool kt = Tool.exec(k);
        List<String> l = new ArrayList<>(List.of("modprobe"));
        l.addAll(args);
        Tool lt = Tool.lkmd(l.toArray(new String[0]));
        String what = "modprobe " + String.join(" ", args);
        assertEquals(kt.out(), lt.out(), what + " (stdout)");
        assertEquals(kt.err(), lt.err(), what + " (stderr)");
        assertEquals(kt.rc(), lt.rc(), what + " (exit code)");
        return kt;
    }

    @Test
    void debianModulesPrintAsKmod() throws IOException {
        List<Path> kos = modules();
        assertTrue(kos.size() > 1000, "the Debian tree has thousands of modules, found " + kos.size());
        int compared = 0;
        for (int i = 0; i < kos.size(); i += 25) {
            String f = kos.get(i).toString();
            same(List.of(i % 2 == 0 ? "--show-modversions" : "--dump-modversions", f));
            compared++;
        }
        same(List.of("--show-modversions", kos.get(0).toString(), kos.get(1).toString()));
        assertTrue(compared > 100, "compared " + compared);
    }

    private static List<Path> modules() throws IOException {
        try (Stream<Path> s = Files.walk(RealTree.modulesDir().resolve("kernel"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ko")).sorted().toList();
        }
    }

    /** A copy of {@code ko} compressed by {@code cmd} (which writes to stdout) into the temp dir. */
    private static Path compressed(Path ko, String ext, String... cmd) throws IOException, InterruptedException {
        Path out = tmp.resolve(ko.getFileName() + "." + ext);
        List<String> c = new ArrayList<>(List.of(cmd));
        c.add(ko.toString());
        Process p = new ProcessBuilder(c).redirectOutput(out.toFile()).start();
        assertEquals(0, p.waitFor(), String.join(" ", c));
        return out;
    }

    @Test
    void debianModuleExportsPrintAsKmod() throws IOException {
        List<Path> kos = modules();
        assertTrue(kos.size() > 1000, "the Debian tree has thousands of modules, found " + kos.size());
        int withExports = 0;
        int without = 0;
        for (int i = 0; i < kos.size(); i += 7) {
            Tool k = same(List.of("--show-exports", kos.get(i).toString()));
            if (k.rc() == 0) {
                withExports++;
            } else {
                without++;
            }
        }
        // modules exporting nothing make kmod fail ("No such file or directory"): both kinds must be in the sample
        assertTrue(withExports > 100 && without > 100, "with exports " + withExports + ", without " + without);
        // a NAME is taken as a path, never looked up in the index
        same(List.of("--show-exports", "usbcore"));
        same(List.of("--show-exports", kos.get(0).toString(), kos.get(1).toString()));
        // --show-modversions wins when both are given, in either order
        same(List.of("--show-exports", "--show-modversions", kos.get(0).toString()));
        same(List.of("--show-modversions", "--show-exports", kos.get(0).toString()));
        same(List.of("-q", "--show-exports", kos.get(0).toString()));
    }

    @Test
    void compressedModuleExportsPrintAsKmod() throws IOException, InterruptedException {
        List<Path> kos = modules();
        int compared = 0;
        for (int i = 0; i < kos.size(); i += 400) {
            Path ko = kos.get(i);
            same(List.of("--show-exports", compressed(ko, "xz", "xz", "-1", "-c").toString()));
            same(List.of("--show-exports", compressed(ko, "zst", "zstd", "-q", "-1", "-c").toString()));
            same(List.of("--show-modversions", tmp.resolve(ko.getFileName() + ".xz").toString()));
            compared++;
        }
        Path usbcore = RealTree.modulesDir().resolve("kernel/drivers/usb/core/usbcore.ko");
        Path xz = compressed(usbcore, "xz", "xz", "-1", "-c");
        Tool k = same(List.of("--show-exports", xz.toString()));
        assertTrue(k.out().lines().count() > 100, k.out());
        // a truncated xz stream: kmod cannot decompress it
        byte[] whole = Files.readAllBytes(xz);
        Path cut = Files.write(tmp.resolve("cut.ko.xz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        same(List.of("--show-exports", cut.toString()));
        assertTrue(compared >= 10, "compared " + compared);
    }

    /**
     * usbcore.ko with its first {@code __crc_} symbol rewritten: {@code value} and {@code shndx}
     * replace st_value and st_shndx (a null shndx keeps the symbol's section, and the value then
     * counts back from that section's end), or, when {@code nameOff} is not null, st_name gets that.
     * Section headers and symbols read as ELF64 LSB.
     */
    private static Path patchedCrc(String name, Long value, Integer shndx, Long nameOff) throws IOException {
        byte[] image = Files.readAllBytes(RealTree.modulesDir().resolve("kernel/drivers/usb/core/usbcore.ko"));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        long names = b.getLong((int) (shoff + shstrndx * 64L + 0x18));
        long symtab = -1, symtabSize = 0, strtab = -1;
        for (int i = 1; i < shnum; i++) {
            int h = (int) (shoff + i * 64L);
            String n = cString(image, (int) (names + b.getInt(h)));
            if (n.equals(".symtab")) {
                symtab = b.getLong(h + 0x18);
                symtabSize = b.getLong(h + 0x20);
            } else if (n.equals(".strtab")) {
                strtab = b.getLong(h + 0x18);
            }
        }
        for (long e = symtab + 24; e < symtab + symtabSize; e += 24) {
            if (cString(image, (int) (strtab + b.getInt((int) e))).startsWith("__crc_")) {
                if (nameOff != null) {
                    b.putInt((int) e, (int) (long) nameOff);
                } else if (shndx == null) {
                    int own = b.getShort((int) e + 6) & 0xffff;
                    b.putLong((int) e + 8, b.getLong((int) (shoff + own * 64L + 0x20)) - value);
                } else {
                    b.putLong((int) e + 8, value);
                    b.putShort((int) e + 6, (short) (int) shndx);
                }
                return Files.write(tmp.resolve(name), image);
            }
        }
        throw new IllegalStateException("usbcore.ko has no __crc_ symbol");
    }

    private static String cString(byte[] b, int off) {
        int end = off;
        while (b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** CRCs libkmod cannot read print as all ones; absolute symbols print their 64-bit value. */
    @Test
    void crcSymbolEdgeCasesPrintAsKmod() throws IOException {
        Tool k = same(List.of("--show-exports", patchedCrc("abs.ko", 0x123456789aL, 0xfff1, null).toString()));
        assertTrue(k.out().startsWith("0x123456789a\t"), k.out());
        k = same(List.of("--show-exports", patchedCrc("past-section.ko", 3L, null, null).toString()));
        assertTrue(k.out().startsWith("0xffffffffffffffff\t"), k.out());
        same(List.of("--show-exports", patchedCrc("last-word.ko", 4L, null, null).toString()));
        same(List.of("--show-exports", patchedCrc("no-section.ko", 0L, 1, null).toString()));
        same(List.of("--show-exports", patchedCrc("undef.ko", 7L, 0, null).toString()));
        // a symbol name outside .strtab: libkmod falls back to __ksymtab_strings, CRCs 0
        k = same(List.of("--show-exports", patchedCrc("bad-name.ko", null, null, 0x7fffffffL).toString()));
        assertTrue(k.out().startsWith("0x00000000\t"), k.out());
    }

    @Test
    void badExportsInputReadsLikeKmod() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty-exports.ko"));
        Path text = Files.writeString(tmp.resolve("text-exports.ko"), "not an ELF file\n");
        byte[] usbcore = Files.readAllBytes(RealTree.modulesDir().resolve("kernel/drivers/usb/core/usbcore.ko"));
        Path head = Files.write(tmp.resolve("head.ko"), java.util.Arrays.copyOf(usbcore, 100));
        Path shortHeader = Files.write(tmp.resolve("short.ko"), java.util.Arrays.copyOf(usbcore, 40));
        same(List.of("--show-exports", "/nonexistent/x.ko"));
        same(List.of("-q", "--show-exports", "/nonexistent/x.ko"));
        same(List.of("--show-exports", tmp.toString()));
        same(List.of("--show-exports", empty.toString()));
        same(List.of("--show-exports", text.toString()));
        same(List.of("--show-exports", head.toString()));
        same(List.of("--show-exports", shortHeader.toString()));
        same(List.of("--show-exports"));
    }

    @Test
    void badInputReadsLikeKmod() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.ko"));
        Path text = Files.writeString(tmp.resolve("text.ko"), "not an ELF file\n");
        same(List.of("--show-modversions", "/nonexistent/x.ko"));
        same(List.of("-q", "--show-modversions", "/nonexistent/x.ko"));
        same(List.of("--show-modversions", "crc16"));
        same(List.of("--show-modversions", tmp.toString()));
        same(List.of("--show-modversions", empty.toString()));
        same(List.of("--show-modversions", text.toString()));
        same(List.of("--show-modversions"));
    }
}
