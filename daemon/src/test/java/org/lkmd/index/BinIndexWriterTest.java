package org.lkmd.index;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BinIndexWriterTest {
    @Test
    void emptyIndexIsAHeaderPointingAtAnEmptyRoot() {
        // what kmod 30's depmod writes for an empty tree
        assertEquals("b007f457" + "00020001" + "0000000c",
                HexFormat.of().formatHex(new BinIndexWriter().toBytes()));
    }

    @Test
    void childrenAreWrittenBeforeTheirParentAndTheRootLast() {
        BinIndexWriter w = new BinIndexWriter();
        w.insert("ab", "x", 1);
        w.insert("ac", "y", 2);
        byte[] b = w.toBytes();
        ByteBuffer buf = ByteBuffer.wrap(b);
        int root = buf.getInt(8);
        // root: empty prefix, one child 'a' (the root never absorbs an edge), no values
        assertEquals(0x20000000, root & 0xF0000000);
        int rootOff = root & 0x0FFFFFFF;
        assertEquals('a', b[rootOff]);
        assertEquals('a', b[rootOff + 1]);
        int a = buf.getInt(rootOff + 2);
        assertEquals(0x20000000, a & 0xF0000000, "'a' node: children b..c only");
        int aOff = a & 0x0FFFFFFF;
        assertEquals('b', b[aOff]);
        assertEquals('c', b[aOff + 1]);
        int childB = buf.getInt(aOff + 2);
        int childC = buf.getInt(aOff + 6);
        assertEquals(0x40000000, childB & 0xF0000000, "leaf with values, empty prefix");
        assertTrue((childB & 0x0FFFFFFF) < (childC & 0x0FFFFFFF), "ascending characters");
        assertTrue((childC & 0x0FFFFFFF) < aOff && aOff < rootOff, "post-order: children first");
        assertEquals(rootOff + 6, b.length, "root is the last node");
        // the 'b' leaf: count 1, priority 1, "x\0"
        int leaf = childB & 0x0FFFFFFF;
        assertEquals(1, buf.getInt(leaf));
        assertEquals(1, buf.getInt(leaf + 4));
        assertEquals('x', b[leaf + 8]);
    }

    @Test
    void valuesAreOrderedByPriorityNewestFirstAmongEquals() {
        BinIndexWriter w = new BinIndexWriter();
        w.insert("k", "late", 5);
        w.insert("k", "first", 1);
        w.insert("k", "again", 5);
        assertTrue(w.insert("k", "late", 9), "duplicate value reported");
        byte[] b = w.toBytes();
        String text = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(text.indexOf("first") < text.indexOf("again"));
        assertTrue(text.indexOf("again") < text.indexOf("late"));
        assertFalse(new BinIndexWriter().insert("k", "v", 0));
    }

    @Test
    void splittingAPrefixKeepsBothKeys() {
        BinIndexWriter w = new BinIndexWriter();
        w.insert("abcd", "1", 0);
        w.insert("ab", "2", 0);
        w.insert("abce", "3", 0);
        String text = new String(w.toBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String v : new String[] {"1", "2", "3"}) {
            assertTrue(text.contains("\0" + v + "\0") || text.contains(v + "\0"), v);
        }
    }

    @Test
    void eightBitCharactersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new BinIndexWriter().insert("caf\u00e9", "x", 0));
    }
}
