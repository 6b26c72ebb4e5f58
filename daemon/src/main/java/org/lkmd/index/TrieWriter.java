package org.lkmd.index;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an index image in kmod's {@code .bin} format (see {@link BinIndexReader}) from entries,
 * shaped as depmod shapes it: the same Patricia trie for the same key set, a key's values kept
 * in ascending priority with a new value placed before the first one of equal or higher
 * priority. Written in pre-order (root at offset 12, kmod &ge; 34's layout). Used to give the
 * text files the same lookup engine as the {@code .bin} files. Not thread-safe while building.
 */
final class TrieWriter {

    private static final class Node {
        String prefix = "";
        final Node[] children = new Node[128];
        final List<IndexValue> values = new ArrayList<>();
        int size; // bytes of this node and its subtree, computed before writing
    }

    private final Node root = new Node();

    /**
     * Adds {@code value} under {@code key}.
     *
     * @throws IllegalArgumentException when the key has a character outside 1..127 (depmod
     *     refuses those too)
     */
    void insert(String key, String value, long priority) {
        for (int k = 0; k < key.length(); k++) {
            char ch = key.charAt(k);
            if (ch == 0 || ch >= 128) {
                throw new IllegalArgumentException("key '" + key + "' has a character outside ASCII");
            }
        }
        Node node = root;
        int i = 0;
        while (true) {
            int j = 0;
            String prefix = node.prefix;
            while (j < prefix.length() && i + j < key.length() && prefix.charAt(j) == key.charAt(i + j)) {
                j++;
            }
            if (j < prefix.length()) {
                // split: the node keeps prefix[0..j), a new child takes the rest
                Node tail = new Node();
                tail.prefix = prefix.substring(j + 1);
                System.arraycopy(node.children, 0, tail.children, 0, 128);
                tail.values.addAll(node.values);
                java.util.Arrays.fill(node.children, null);
                node.values.clear();
                node.children[prefix.charAt(j)] = tail;
                node.prefix = prefix.substring(0, j);
            }
            i += j;
            if (i == key.length()) {
                addValue(node.values, value, priority);
                return;
            }
            char ch = key.charAt(i);
            Node child = node.children[ch];
            if (child == null) {
                child = new Node();
                child.prefix = key.substring(i + 1);
                node.children[ch] = child;
                addValue(child.values, value, priority);
                return;
            }
            node = child;
            i++;
        }
    }

    private static void addValue(List<IndexValue> values, String value, long priority) {
        int at = 0;
        while (at < values.size() && values.get(at).priority() < priority) {
            at++;
        }
        values.add(at, new IndexValue(priority, value));
    }

    /** The finished image, ready for {@link BinIndexReader}. */
    ByteBuffer toBuffer() {
        int total = BinIndexReader.HEADER_SIZE + measure(root);
        ByteBuffer out = ByteBuffer.allocate(total);
        out.putInt(BinIndexReader.MAGIC);
        out.putInt(0x00020001);
        out.putInt(word(root, BinIndexReader.HEADER_SIZE));
        write(root, out);
        out.flip();
        return out;
    }

    private static int first(Node n) {
        for (int c = 0; c < 128; c++) {
            if (n.children[c] != null) {
                return c;
            }
        }
        return -1;
    }

    private static int last(Node n) {
        for (int c = 127; c >= 0; c--) {
            if (n.children[c] != null) {
                return c;
            }
        }
        return -1;
    }

    private static int ownSize(Node n) {
        int size = 0;
        if (!n.prefix.isEmpty()) {
            size += n.prefix.length() + 1;
        }
        int first = first(n);
        if (first >= 0) {
            size += 2 + 4 * (last(n) - first + 1);
        }
        if (!n.values.isEmpty()) {
            size += 4;
            for (IndexValue v : n.values) {
                size += 4 + v.value().length() + 1;
            }
        }
        return size;
    }

    private static int measure(Node n) {
        int size = ownSize(n);
        for (Node c : n.children) {
            if (c != null) {
                size += measure(c);
            }
        }
        n.size = size;
        return size;
    }

    private static int word(Node n, int offset) {
        int w = offset;
        if (!n.prefix.isEmpty()) {
            w |= BinIndexReader.FLAG_PREFIX;
        }
        if (!n.values.isEmpty()) {
            w |= BinIndexReader.FLAG_VALUES;
        }
        if (first(n) >= 0) {
            w |= BinIndexReader.FLAG_CHILDREN;
        }
        return w;
    }

    private static void write(Node n, ByteBuffer out) {
        int start = out.position();
        if (!n.prefix.isEmpty()) {
            putString(out, n.prefix);
        }
        int first = first(n);
        if (first >= 0) {
            int last = last(n);
            out.put((byte) first).put((byte) last);
            int childAt = start + ownSize(n);
            for (int c = first; c <= last; c++) {
                Node child = n.children[c];
                if (child == null) {
                    out.putInt(0);
                } else {
                    out.putInt(word(child, childAt));
                    childAt += child.size;
                }
            }
        }
        if (!n.values.isEmpty()) {
            out.putInt(n.values.size());
            for (IndexValue v : n.values) {
                out.putInt((int) v.priority());
                putString(out, v.value());
            }
        }
        for (Node c : n.children) {
            if (c != null) {
                write(c, out);
            }
        }
    }

    private static void putString(ByteBuffer out, String s) {
        for (int k = 0; k < s.length(); k++) {
            out.put((byte) s.charAt(k));
        }
        out.put((byte) 0);
    }
}
