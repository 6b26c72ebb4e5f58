package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** depmod's flags and depmod.d rules, each compared with kmod's depmod on the same small tree. */
class DepmodOptionsTest {
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

    /** A tree with one module name in four places, plus a dependency pair, in both roots. */
    private static Path[] duplicatesTree(Path tmp) throws IOException {
        Path[] roots = {tmp.resolve("k"), tmp.resolve("l")};
        for (Path r : roots) {
            Path d = Files.createDirectories(r.resolve("lib/modules/" + rel));
            for (String sub : List.of("kernel/drivers", "extra", "updates", "vendor/x", "skipme")) {
                Path dir = Files.createDirectories(d.resolve(sub));
                Files.copy(realModule("dummy.ko"), dir.resolve("dummy.ko"));
            }
            Files.copy(realModule("usb-common.ko"), d.resolve("kernel/drivers/usb-common.ko"));
            Files.copy(realModule("usbcore.ko"), d.resolve("extra/usbcore.ko"));
            Files.writeString(d.resolve("modules.order"), "kernel/drivers/usb-common.ko\nextra/usbcore.ko\n");
        }
        return roots;
    }

    private static void compare(Path[] roots, String conf, String... flags) throws Exception {
        List<KmodTree.Result> results = new ArrayList<>();
        for (Path r : roots) {
            List<String> args = new ArrayList<>(List.of(flags));
            if (conf != null) {
                Path c = r.resolve("depmod.conf");
                Files.writeString(c, conf);
                args.addAll(List.of("-C", c.toString()));
            }
            args.addAll(List.of("-b", r.toString(), rel));
            List<String> cmd = new ArrayList<>(List.of("depmod"));
            cmd.addAll(args);
            results.add(r == roots[0] ? KmodTree.sh(cmd.toArray(String[]::new)) : KmodTree.lkmd(cmd.toArray(String[]::new)));
        }
        assertEquals(results.get(0).rc(), results.get(1).rc(), results.get(1).err());
        assertEquals(results.get(0).outText().replace(roots[0].toString(), "ROOT"),
                results.get(1).outText().replace(roots[1].toString(), "ROOT"));
        assertEquals(results.get(0).err().replace(roots[0].toString(), "ROOT"),
                results.get(1).err().replace(roots[1].toString(), "ROOT"));
        assertEquals(List.of(), KmodTree.differences(roots[0].resolve("lib/modules/" + rel), roots[1].resolve("lib/modules/" + rel)));
    }

    @Test
    void defaultSearchPrefersUpdates(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "");
    }

    @Test
    void searchLinesOrderDirectories(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "search vendor extra built-in updates\n");
    }

    @Test
    void builtInFirstKeepsTheInTreeCopy(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "search built-in updates extra\n");
    }

    @Test
    void overrideBeatsSearch(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "search updates extra\noverride dummy * vendor/x\n");
    }

    @Test
    void overrideForAnotherKernelIsIgnored(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "override dummy ^2\\.6 vendor/x\n");
    }

    @Test
    void excludeSkipsDirectories(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "exclude updates vendor\n");
    }

    @Test
    void badConfigLinesAreReported(@TempDir Path tmp) throws Exception {
        compare(duplicatesTree(tmp), "frobnicate all\noverride dummy\nsearch extra\n");
    }

    @Test
    void showPrintsTheTextFilesAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        compare(roots, null, "-n");
        try (Stream<Path> s = Files.list(roots[1].resolve("lib/modules/" + rel))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().equals("modules.dep")));
        }
    }

    @Test
    void systemMapAndErrsymsReportUnknownSymbols(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        Path map = tmp.resolve("System.map");
        Files.writeString(map, "ffffffff81000000 r __ksymtab_printk\nffffffff81000010 T _stext\n");
        compare(roots, null, "-e", "-F", map.toString());
    }

    @Test
    void quickModeSkipsAnUpToDateTree(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        compare(roots, null);
        Path dep = roots[1].resolve("lib/modules/" + rel + "/modules.dep");
        Files.writeString(dep, "sentinel\n");
        KmodTree.Result r = KmodTree.lkmd("depmod", "-A", "-b", roots[1].toString(), rel);
        assertEquals(0, r.rc());
        assertEquals("sentinel\n", Files.readString(dep), "-A left the up-to-date index alone");
        Files.setLastModifiedTime(dep, java.nio.file.attribute.FileTime.fromMillis(0));
        r = KmodTree.lkmd("depmod", "-A", "-b", roots[1].toString(), rel);
        assertEquals(0, r.rc());
        assertTrue(Files.readString(dep).contains("usbcore.ko:"), "-A rebuilt an outdated index");
    }

    @Test
    void rerunIsDeterministic(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        byte[] first = Files.readAllBytes(roots[1].resolve("lib/modules/" + rel + "/modules.alias.bin"));
        KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertArrayEquals(first, Files.readAllBytes(roots[1].resolve("lib/modules/" + rel + "/modules.alias.bin")));
    }
}
