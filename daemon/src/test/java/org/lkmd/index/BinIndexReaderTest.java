package org.lkmd.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BinIndexReaderTest {

    private static final Path P = Path.of("test.bin");

    /** Keys "a" -> x (priority 1) and "ab*" -> y (priority 0), laid out pre-order (kmod >= 34) by hand. */
    static ByteBuffer preOrderByHand() {
        ByteBuffer b = ByteBuffer.allocate(46);
        b.putInt(0xB007F457).putInt(0x00020001).putInt(0x20000000 | 12);   // header, root at 12
        b.put((byte) 'a').put((byte) 'a').putInt(0x60000000 | 18);          // root: child 'a' -> A
        b.put((byte) 'b').put((byte) 'b').putInt(0xC0000000 | 34);          // A: child 'b' -> B
        b.putInt(1).putInt(1).put((byte) 'x').put((byte) 0);                //    values [1 x]
        b.put((byte) '*').put((byte) 0);                                    // B: prefix "*"
        b.putInt(1).putInt(0).put((byte) 'y').put((byte) 0);                //    values [0 y]
        b.flip();
        return b;
    }

    @Test
    void readsHandBuiltPreOrderFile() throws Exception {
        BinIndexReader r = new BinIndexReader(P, preOrderByHand());
        assertEquals(Optional.of("x"), r.search("a"));
        assertEquals(Optional.empty(), r.search("ab"));
        assertEquals(Optional.of("y"), r.search("ab*"));
        assertEquals(List.of(new IndexValue(0, "y")), r.searchWild("ab"));
        assertEquals(List.of(new IndexValue(0, "y")), r.searchWild("abzz"));
        assertEquals(List.of(new IndexValue(1, "x")), r.searchWild("a"));
        StringBuilder dump = new StringBuilder();
        r.dump("alias ", dump);
        assertEquals("alias a x\nalias ab* y\n", dump.toString());
    }

    @Test
    void emptyIndexFromKmodsDepmodIsAnEmptyRootPastTheHeader() throws Exception {
        // what kmod's depmod writes for modules.symbols.bin when no module exports a symbol
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12);
        b.putInt(0xB007F457).putInt(0x00020001).putInt(12).flip();
        BinIndexReader r = new BinIndexReader(P, b);
        assertEquals(Optional.empty(), r.search("symbol:fat_time"));
        assertEquals(List.of(), r.searchWild("symbol:fat_time"));
        StringBuilder dump = new StringBuilder();
        r.dump("alias ", dump);
        assertEquals("", dump.toString());
    }

    @Test
    void writerOutputReadsLikeTheHandBuiltFile() {
        TrieWriter w = new TrieWriter();
        w.insert("ab*", "y", 0);
        w.insert("a", "x", 1);
        assertEquals(preOrderByHand(), w.toBuffer());
    }

    @Test
    void wildcardResultsAscendByPriorityLaterFoundFirstAndKeepDuplicates() {
        TrieWriter w = new TrieWriter();
        w.insert("pci:v1d*", "m2", 2);
        w.insert("pci:v*d2", "m1", 1);
        w.insert("pci:v*", "m2", 2);
        w.insert("pci:v1d2", "m3", 0);
        w.insert("pci:v?d2", "m1", 1);
        BinIndexReader r = new BinIndexReader(P, w.toBuffer());
        // walk order: pci:v* (m2), pci:v*d2 (m1), pci:v?d2 (m1), pci:v1d* (m2), exact (m3)
        List<String> expected = List.of("m3", "m1", "m1", "m2", "m2");
        assertEquals(expected, r.searchWild("pci:v1d2").stream().map(IndexValue::value).toList());
        assertEquals(expected, AliasMatcher.build(r).lookup("pci:v1d2"));
        // same priority, different patterns: the one found later comes first
        List<IndexValue> v = r.searchWild("pci:v1d2");
        assertEquals(List.of(0L, 1L, 1L, 2L, 2L), v.stream().map(IndexValue::priority).toList());
    }

    @Test
    void badHeaderIsAFormatError() {
        ByteBuffer b = preOrderByHand();
        b.putInt(0, 0xB007FA57);
        IndexFormatException e = assertThrows(IndexFormatException.class, () -> new BinIndexReader(P, b));
        assertEquals(0, e.offset());
        ByteBuffer v = preOrderByHand();
        v.putInt(4, 0x00030000);
        assertEquals(4, assertThrows(IndexFormatException.class, () -> new BinIndexReader(P, v)).offset());
        assertThrows(IndexFormatException.class, () -> new BinIndexReader(P, ByteBuffer.allocate(5)));
    }

    @Test
    void cycleIsAFormatErrorNotAHang() {
        ByteBuffer b = preOrderByHand();
        b.putInt(20, 0x20000000 | 12); // A's child 'b' points back to the root
        BinIndexReader r = new BinIndexReader(P, b);
        assertThrows(IndexFormatException.class, r::validate);
        // a descent consumes one query character per level, so it ends by itself
        assertEquals(List.of(new IndexValue(1, "x")), r.searchWild("abababababa"));
    }

    @Test
    void nodeSharedByTwoParentsIsAFormatErrorForAWholeWalk() {
        // root's children 'a' and 'b' both point at one leaf: a lookup works, but a dump of such
        // graphs grows exponentially with the file (a fuzzed file filled the fuzz run's 512 MiB heap)
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putInt(0xB007F457).putInt(0x00020001).putInt(0x20000000 | 12);   // header, root at 12
        b.put((byte) 'a').put((byte) 'b');                                  // root: children 'a'..'b'
        b.putInt(0x40000000 | 22).putInt(0x40000000 | 22);                  //    both -> L
        b.putInt(1).putInt(1).put((byte) 'x').put((byte) 0);                // L: values [1 x]
        b.flip();
        BinIndexReader r = new BinIndexReader(P, b);
        assertEquals(Optional.of("x"), r.search("a"));
        assertEquals(Optional.of("x"), r.search("b"));
        IndexFormatException e = assertThrows(IndexFormatException.class, r::validate);
        assertEquals(22, e.offset());
        assertThrows(IndexFormatException.class, () -> r.dump("alias ", new StringBuilder()));
    }

    @Test
    void truncatedOrCorruptRealFilesRaiseOnlyFormatErrors() throws Exception {
        byte[] whole = Files.readAllBytes(RealTree.modulesDir().resolve("modules.alias.bin"));
        Random rnd = new Random(7);
        for (int n = 0; n < 40; n++) {
            int len = 12 + rnd.nextInt(whole.length - 12);
            ByteBuffer cut = ByteBuffer.wrap(whole, 0, len).slice();
            IndexFormatException e = assertThrows(IndexFormatException.class,
                    () -> new BinIndexReader(P, cut).validate(), "truncated at " + len);
            assertTrue(e.offset() >= 0 && e.offset() <= len, e.getMessage());
        }
        for (int n = 0; n < 40; n++) {
            byte[] bad = whole.clone();
            for (int k = 0; k < 8; k++) {
                bad[12 + rnd.nextInt(bad.length - 12)] = (byte) rnd.nextInt();
            }
            try {
                BinIndexReader r = new BinIndexReader(P, ByteBuffer.wrap(bad));
                r.validate();
                r.searchWild("pci:v00008086d00001234sv0sd0bc01sc06i01");
            } catch (IndexFormatException expected) {
                assertTrue(expected.getMessage().startsWith("test.bin: offset "));
            }
        }
    }
}
