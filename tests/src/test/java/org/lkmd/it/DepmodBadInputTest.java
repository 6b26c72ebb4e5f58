package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken module trees: each tool must warn, naming the file and the problem, and index everything
 * else exactly as kmod does; a dependency cycle must stop both before any file is written.
 */
class DepmodBadInputTest {
    static String rel;

    @BeforeAll
    static void release() throws IOException {
        rel = RealTree.release();
    }

    private static Path realModule(String name) throws IOException {
        try (Stream<Path> s = Files.walk(Path.of("/lib/modules", rel, "kernel"))) {
            return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
        }
    }

    /** A small tree: usb-common and usbcore (a real dependency) plus whatever {@code extra} adds, in both roots. */
    private interface Populate {
        void into(Path kernelDir) throws IOException;
    }

    private static Path[] trees(Path tmp, Populate extra) throws IOException {
        Path[] roots = {tmp.resolve("k"), tmp.resolve("l")};
        for (Path r : roots) {
            Path k = Files.createDirectories(r.resolve("lib/modules/" + rel + "/kernel"));
            Files.copy(realModule("usb-common.ko"), k.resolve("usb-common.ko"));
            Files.copy(realModule("usbcore.ko"), k.resolve("usbcore.ko"));
            extra.into(k);
        }
        return roots;
    }

    private static void assertLikeKmod(Path[] roots, int rc) throws Exception {
        KmodTree.Result k = KmodTree.sh("depmod", "-b", roots[0].toString(), rel);
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertEquals(rc, k.rc(), k.err());
        assertEquals(rc, l.rc(), l.err());
        assertEquals(List.of(), KmodTree.differences(roots[0].resolve("lib/modules/" + rel), roots[1].resolve("lib/modules/" + rel)));
        assertEquals(k.err(), l.err().replace(roots[1].toString(), roots[0].toString()));
    }

    private static byte[] patchSectionOffset(byte[] elf, String section, long newOffset) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstr = b.getShort(0x3e) & 0xffff;
        long strOff = b.getLong((int) (shoff + shstr * 64L + 0x18));
        for (int i = 0; i < shnum; i++) {
            int h = (int) (shoff + i * 64L);
            int nameOff = (int) (strOff + b.getInt(h));
            int end = nameOff;
            while (elf[end] != 0) {
                end++;
            }
            if (new String(elf, nameOff, end - nameOff, StandardCharsets.US_ASCII).equals(section)) {
                b.putLong(h + 0x18, newOffset);
                return elf;
            }
        }
        throw new IllegalArgumentException("no section " + section);
    }

    @Test
    void corruptModulesAreReportedAndTheRestIndexed(@TempDir Path tmp) throws Exception {
        Path[] roots = trees(tmp, k -> {
            byte[] e1000e = Files.readAllBytes(realModule("e1000e.ko"));
            Files.write(k.resolve("truncated.ko"), Arrays.copyOf(e1000e, 1000));
            Files.writeString(k.resolve("garbage.ko"), "this is not an ELF file");
            byte[] badHeader = e1000e.clone();
            badHeader[4] = 9; // ELF class
            Files.write(k.resolve("bad-class.ko"), badHeader);
            byte[] dummy = Files.readAllBytes(realModule("dummy.ko"));
            Files.write(k.resolve("symtab-out-of-range.ko"), patchSectionOffset(dummy.clone(), ".symtab", 1L << 40));
            Files.write(k.resolve("modinfo-out-of-range.ko"), patchSectionOffset(dummy.clone(), ".modinfo", 1L << 40));
            byte[] noModinfo = dummy.clone();
            String s = new String(noModinfo, StandardCharsets.ISO_8859_1);
            int at = s.indexOf("\0.modinfo\0");
            noModinfo[at + 2] = 'X';
            Files.write(k.resolve("no-modinfo.ko"), noModinfo);
        });
        assertLikeKmod(roots, 0);
        KmodTree.Result again = KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertTrue(again.err().contains("failed to load symbols from " + roots[1] + "/lib/modules/" + rel
                + "/kernel/garbage.ko: Exec format error"), again.err());
        assertTrue(again.err().contains("kernel/truncated.ko: Invalid argument"), again.err());
        String dep = Files.readString(roots[1].resolve("lib/modules/" + rel + "/modules.dep"));
        assertTrue(dep.contains("kernel/usbcore.ko: kernel/usb-common.ko\n"), dep);
    }

    @Test
    void danglingSymlinksAndSymlinkLoopsAreSkipped(@TempDir Path tmp) throws Exception {
        Path[] roots = trees(tmp, k -> {
            Files.createSymbolicLink(k.resolve("vanished.ko"), k.resolve("does-not-exist.ko"));
            Files.createSymbolicLink(k.resolve("loop-a.ko"), k.resolve("loop-b.ko"));
            Files.createSymbolicLink(k.resolve("loop-b.ko"), k.resolve("loop-a.ko"));
            Files.createSymbolicLink(k.resolve("linked-dummy.ko"), realModule("dummy.ko"));
        });
        KmodTree.Result k = KmodTree.sh("depmod", "-b", roots[0].toString(), rel);
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertEquals(k.rc(), l.rc());
        assertEquals(List.of(), KmodTree.differences(roots[0].resolve("lib/modules/" + rel), roots[1].resolve("lib/modules/" + rel)));
        assertTrue(l.err().contains("vanished.ko") && l.err().contains("No such file or directory"), l.err());
        assertTrue(l.err().contains("loop-a.ko") && l.err().contains("Too many levels of symbolic links"), l.err());
    }

    @Test
    void dependencyCycleFailsLikeKmodAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path[] roots = trees(tmp, k -> {
            // make usb-common need a symbol usbcore exports: rename one of its undefined symbols
            // to an exported name of the same length
            byte[] common = Files.readAllBytes(k.resolve("usb-common.ko"));
            String text = new String(common, StandardCharsets.ISO_8859_1);
            String from = "\0led_trigger_blink_oneshot\0";
            String to = "\0usb_find_common_endpoints\0";
            int at = text.indexOf(from);
            assertTrue(at > 0, "usb-common.ko still needs led_trigger_blink_oneshot");
            byte[] patched = (text.substring(0, at) + to + text.substring(at + from.length())).getBytes(StandardCharsets.ISO_8859_1);
            Files.write(k.resolve("usb-common.ko"), patched);
        });
        KmodTree.Result k = KmodTree.sh("depmod", "-b", roots[0].toString(), rel);
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertEquals(1, k.rc());
        assertEquals(1, l.rc());
        assertEquals(k.err(), l.err().replace(roots[1].toString(), roots[0].toString()));
        assertTrue(l.err().contains("Cycle detected: usbcore -> usb_common -> usbcore"), l.err());
        try (Stream<Path> s = Files.list(roots[1].resolve("lib/modules/" + rel))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith("modules.")), "no index written");
        }
    }
}
