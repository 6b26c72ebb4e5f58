package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd depmod -b ROOT REL} against kmod's {@code depmod -b ROOT2 REL} on copies of the real
 * module tree: every file both write must be byte-identical.
 */
class DepmodDifferentialTest {
    static String rel;

    @BeforeAll
    static void release() throws IOException {
        rel = RealTree.release();
    }

    /** Runs both tools on identical trees under {@code kmodRoot} and {@code lkmdRoot}; asserts identical outputs. */
    static void assertSameIndexes(Path kmodRoot, Path lkmdRoot) throws Exception {
        KmodTree.Result k = KmodTree.sh("depmod", "-b", kmodRoot.toString(), rel);
        assertEquals(0, k.rc(), "kmod depmod failed: " + k.err());
        KmodTree.Result l = KmodTree.lkmd("depmod", "-b", lkmdRoot.toString(), rel);
        assertEquals(0, l.rc(), "lkmd depmod failed: " + l.err());
        Path kd = kmodRoot.resolve("lib/modules/" + rel);
        Path ld = lkmdRoot.resolve("lib/modules/" + rel);
        assertTrue(Files.size(kd.resolve("modules.dep")) > 100_000, "kmod wrote a real modules.dep");
        assertEquals(List.of(), KmodTree.differences(kd, ld));
        assertEquals(k.err(), l.err().replace(lkmdRoot.toString(), kmodRoot.toString()), "same messages");
    }

    @Test
    void shippedTreeIsByteIdentical(@TempDir Path tmp) throws Exception {
        KmodTree.linkTree(tmp.resolve("k"), rel);
        KmodTree.linkTree(tmp.resolve("l"), rel);
        assertSameIndexes(tmp.resolve("k"), tmp.resolve("l"));
    }

    @Test
    void xzCompressedTreeIsByteIdentical(@TempDir Path tmp) throws Exception {
        compressedVariant(tmp, "xz");
    }

    @Test
    void zstdCompressedTreeIsByteIdentical(@TempDir Path tmp) throws Exception {
        compressedVariant(tmp, "zst");
    }

    private void compressedVariant(Path tmp, String ext) throws Exception {
        Path cached = CompressedTrees.get(rel, ext);
        for (String side : List.of("k", "l")) {
            Path mods = tmp.resolve(side).resolve("lib/modules");
            Files.createDirectories(mods);
            KmodTree.sh("cp", "-al", cached.toString(), mods.resolve(rel).toString());
        }
        try (Stream<Path> s = Files.walk(tmp.resolve("l"))) {
            assertTrue(s.anyMatch(p -> p.toString().endsWith(".ko." + ext)), "tree is compressed");
        }
        assertSameIndexes(tmp.resolve("k"), tmp.resolve("l"));
    }

    @Test
    void outOfTreeModulesInExtraAndUpdatesFollowKmodSearchRules(@TempDir Path tmp) throws Exception {
        for (String side : List.of("k", "l")) {
            Path dir = KmodTree.linkTree(tmp.resolve(side), rel);
            Path extra = Files.createDirectories(dir.resolve("extra"));
            Path updates = Files.createDirectories(dir.resolve("updates/net"));
            // same name as in-tree modules: updates/ wins by default, extra/ ties with kernel/
            link(dir, "dummy.ko", extra.resolve("dummy.ko"));
            link(dir, "usb-common.ko", updates.resolve("usb-common.ko"));
            link(dir, "e1000e.ko", extra.resolve("e1000e.ko"));
            // new names, absent from modules.order: ordered by kmod's hash table
            link(dir, "usbcore.ko", extra.resolve("usbcore-oot.ko"));
            link(dir, "veth.ko", updates.resolve("veth_new.ko"));
            link(dir, "nf_tables.ko", extra.resolve("nft-copy.ko"));
            link(dir, "bonding.ko", updates.resolve("bond2.ko"));
        }
        assertSameIndexes(tmp.resolve("k"), tmp.resolve("l"));
    }

    private static void link(Path dir, String name, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("kernel"))) {
            Path src = s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
            Files.createLink(to, src);
        }
    }
}
