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

/**
 * depmod's flags and depmod.d rules, each compared with kmod's depmod on the same small tree. The
 * two extras newer than kmod 30 (kmod 31's {@code -o}, kmod 33's {@code modules.weakdep}) are
 * compared with kmod 30 for every file kmod 30 writes; {@code modules.weakdep}'s own format is
 * kmod 34.2's, checked by hand against a kmod built from source (no newer kmod is packaged here).
 */
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

    /** The installed module set of {@link #duplicatesTree} minus the copies, with a module declaring two weak dependencies. */
    private static Path[] weakdepTree(Path tmp) throws IOException {
        Path[] roots = {tmp.resolve("k"), tmp.resolve("l")};
        for (Path r : roots) {
            Path d = Files.createDirectories(r.resolve("lib/modules/" + rel + "/kernel/drivers"));
            Files.write(d.resolve("dummy.ko"), withWeakdeps(Files.readAllBytes(realModule("dummy.ko"))));
            Files.copy(realModule("usb-common.ko"), d.resolve("usb-common.ko"));
            Files.copy(realModule("usbcore.ko"), d.resolve("usbcore.ko"));
        }
        return roots;
    }

    /** dummy.ko with two {@code .modinfo} strings overwritten, same length, by {@code weakdep=} entries (as MODULE_WEAKDEP makes). */
    private static byte[] withWeakdeps(byte[] ko) {
        String s = new String(ko, java.nio.charset.StandardCharsets.ISO_8859_1);
        s = replaceOnce(s, "parmtype=numdummies:int\0", "weakdep=polyval_generic\0");
        s = replaceOnce(s, "retpoline=Y\0", "weakdep=tun\0");
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static String replaceOnce(String s, String from, String to) {
        assertEquals(from.length(), to.length());
        int i = s.indexOf(from);
        assertTrue(i >= 0 && s.indexOf(from, i + 1) < 0, "one " + from.trim() + " in dummy.ko");
        return s.substring(0, i) + to + s.substring(i + from.length());
    }

    private static final String WEAKDEPS = "# Weak dependencies extracted from modules themselves.\n"
            + "weakdep dummy polyval_generic\nweakdep dummy tun\n";

    @Test
    void outdirWritesKmodsFilesThereAndLeavesTheInputAlone(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        Path in = roots[1].resolve("lib/modules/" + rel);
        var before = KmodTree.indexFiles(in);
        KmodTree.Result k = KmodTree.sh("depmod", "-b", roots[0].toString(), rel);
        Path outRoot = tmp.resolve("out/nested");
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), "-o", outRoot.toString(), rel);
        assertEquals(k.rc(), l.rc(), l.err());
        assertEquals(k.err().replace(roots[0].toString(), "ROOT"), l.err().replace(roots[1].toString(), "ROOT"),
                "modules.order and the rest are read from the basedir");
        var kmods = KmodTree.indexFiles(roots[0].resolve("lib/modules/" + rel));
        kmods.remove("modules.order");
        var written = KmodTree.indexFiles(outRoot.resolve("lib/modules/" + rel));
        assertEquals(kmods.keySet(), written.keySet());
        for (String f : kmods.keySet()) {
            assertArrayEquals(kmods.get(f), written.get(f), f);
        }
        var after = KmodTree.indexFiles(in);
        assertEquals(before.keySet(), after.keySet(), "nothing written into the basedir");
        try (Stream<Path> s = Files.list(outRoot.resolve("lib/modules/" + rel))) {
            assertEquals(kmods.size(), s.count(), "no temporary file left");
        }
    }

    @Test
    void outdirWithShowWritesNothingAndAnUnusableOutdirIsFatal(@TempDir Path tmp) throws Exception {
        Path[] roots = duplicatesTree(tmp);
        KmodTree.Result k = KmodTree.sh("depmod", "-n", "-b", roots[0].toString(), rel);
        Path outRoot = tmp.resolve("out");
        KmodTree.Result l = KmodTree.lkmd("depmod", "-n", "-b", roots[1].toString(), "-o", outRoot.toString(), rel);
        assertEquals(k.outText(), l.outText());
        assertFalse(Files.exists(outRoot), "-n creates no output directory");

        Path file = Files.writeString(tmp.resolve("afile"), "");
        l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), "-o", file.toString(), rel);
        assertEquals(1, l.rc());
        assertTrue(l.err().endsWith("depmod: FATAL: could not create directory " + file + "/lib/modules/" + rel
                + ": Not a directory\n"), l.err());
        assertEquals("", Files.readString(file));
    }

    @Test
    void weakdepsOfModulesGoToModulesWeakdepAndNothingElseChanges(@TempDir Path tmp) throws Exception {
        Path[] roots = weakdepTree(tmp);
        KmodTree.Result k = KmodTree.sh("depmod", "-b", roots[0].toString(), rel);
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertEquals(k.rc(), l.rc(), l.err());
        Path lDir = roots[1].resolve("lib/modules/" + rel);
        assertEquals(List.of("modules.weakdep (only lkmd)"),
                KmodTree.differences(roots[0].resolve("lib/modules/" + rel), lDir));
        assertEquals(WEAKDEPS, Files.readString(lDir.resolve("modules.weakdep")));

        k = KmodTree.sh("depmod", "-n", "-b", roots[0].toString(), rel);
        l = KmodTree.lkmd("depmod", "-n", "-b", roots[1].toString(), rel);
        assertEquals(k.outText().replace("# Aliases for symbols", WEAKDEPS + "# Aliases for symbols"), l.outText(),
                "-n prints modules.weakdep between .softdep and .symbols");

        KmodTree.Result c = KmodTree.lkmd("modprobe", "-c", "-d", roots[1].toString(), "-S", rel);
        assertTrue(c.outText().contains("weakdep dummy polyval_generic\nweakdep dummy tun\n"), c.outText());
        Path ko = lDir.resolve("kernel/drivers/dummy.ko");
        KmodTree.Result km = KmodTree.sh("modinfo", ko.toString());
        KmodTree.Result lm = KmodTree.lkmd("modinfo", ko.toString());
        assertEquals(km.outText(), lm.outText());
        assertTrue(lm.outText().contains("weakdep:        polyval_generic\n"), lm.outText());

        Files.copy(realModule("dummy.ko"), ko, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        KmodTree.lkmd("depmod", "-b", roots[1].toString(), rel);
        assertEquals("# Weak dependencies extracted from modules themselves.\n", Files.readString(lDir.resolve("modules.weakdep")),
                "an existing modules.weakdep is kept up to date when no module declares one any more");
    }
}
