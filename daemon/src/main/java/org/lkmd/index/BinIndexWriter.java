package org.lkmd.index;

/**
 * Builds one of kmod's {@code .bin} index files ({@code modules.dep.bin}, {@code modules.alias.bin},
 * ...) byte for byte as kmod 30's depmod writes it.
 *
 * <h2>File format</h2>
 * All integers are 32-bit big-endian. A 12-byte header: magic {@code 0xB007F457}, version
 * {@code 0x00020001}, offset word of the root node. A node offset word carries the absolute file
 * offset in its low 28 bits and flags in the high nibble: {@code 0x80000000} the node has a prefix,
 * {@code 0x40000000} it has values, {@code 0x20000000} it has children. A node is, fields present
 * only when flagged: its prefix (NUL-terminated), then {@code first} and {@code last} child
 * characters (one byte each) followed by {@code last-first+1} child offset words (0 = no child),
 * then a value count and that many {priority word, NUL-terminated value}.
 *
 * <p>The trie is a Patricia trie over 7-bit ASCII keys: a node's key is the concatenation of each
 * edge character and the child's prefix. Values of one key are ordered by ascending priority, a new
 * value going before existing ones of equal priority. kmod 30 (and every kmod up to 33) writes the
 * nodes in <b>post-order</b>: children first in ascending character order, then the node itself;
 * the root therefore comes last and the header's root word is patched at the end.
 *
 * <p>Not thread-safe; one writer per file.
 */
public final class BinIndexWriter {
    private static final int MAGIC = 0xB007F457;
    private static final int VERSION = 0x00020001;
    private static final int CHILDMAX = 128;
    private static final int FLAG_PREFIX = 0x80000000;
    private static final int FLAG_VALUES = 0x40000000;
    private static final int FLAG_CHILDS = 0x20000000;

    private static final class Value {
        final int priority;
        final byte[] text;
        Value next;

        Value(int priority, byte[] text) {
            this.priority = priority;
            this.text = text;
        }
    }

    private static final class Node {
        byte[] prefix;
        Value values;
        int first = CHILDMAX;
        int last;
        Node[] children;

        Node(byte[] prefix) {
            this.prefix = prefix;
        }
    }

    private final Node root = new Node(new byte[0]);

    /**
     * Adds a value under a key.
     *
     * @return true when the key already held an equal value (depmod {@code -w} warns about these)
     * @throws IllegalArgumentException when key or value has a character outside 7-bit ASCII, which
     *                                  kmod's depmod treats as fatal
     */
    public boolean insert(String key, String value, int priority) {
        byte[] k = ascii(key);
        byte[] v = ascii(value);
        Node node = root;
        int i = 0;
        while (true) {
            byte[] p = node.prefix;
            int j = 0;
            for (; j < p.length; j++) {
                int ch = p[j];
                int kc = i + j < k.length ? k[i + j] : 0;
                if (ch != kc) {
                    split(node, j);
                    break;
                }
            }
            i += node.prefix.length;
            if (i == k.length) {
                return addValue(node, v, priority);
            }
            int ch = k[i];
            Node child = node.children == null ? null : node.children[ch];
            if (child == null) {
                if (node.children == null) {
                    node.children = new Node[CHILDMAX];
                }
                node.first = Math.min(node.first, ch);
                node.last = Math.max(node.last, ch);
                child = new Node(java.util.Arrays.copyOfRange(k, i + 1, k.length));
                node.children[ch] = child;
                addValue(child, v, priority);
                return false;
            }
            node = child;
            i++;
        }
    }

    /** Splits {@code node} at prefix position {@code j}: the node keeps prefix[0..j), a child under prefix[j] takes the rest. */
    private static void split(Node node, int j) {
        byte[] p = node.prefix;
        Node n = new Node(java.util.Arrays.copyOfRange(p, j + 1, p.length));
        n.values = node.values;
        n.first = node.first;
        n.last = node.last;
        n.children = node.children;
        int ch = p[j];
        node.prefix = java.util.Arrays.copyOf(p, j);
        node.values = null;
        node.children = new Node[CHILDMAX];
        node.children[ch] = n;
        node.first = ch;
        node.last = ch;
    }

    private static boolean addValue(Node node, byte[] v, int priority) {
        boolean duplicate = false;
        for (Value x = node.values; x != null; x = x.next) {
            if (java.util.Arrays.equals(x.text, v)) {
                duplicate = true;
            }
        }
        Value nv = new Value(priority, v);
        if (node.values == null || Integer.compareUnsigned(node.values.priority, priority) >= 0) {
            nv.next = node.values;
            node.values = nv;
            return duplicate;
        }
        Value prev = node.values;
        while (prev.next != null && Integer.compareUnsigned(prev.next.priority, priority) < 0) {
            prev = prev.next;
        }
        nv.next = prev.next;
        prev.next = nv;
        return duplicate;
    }

    private static byte[] ascii(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        for (byte x : b) {
            if (x <= 0) { // NUL, or 8-bit (negative as a Java byte)
                char c = (char) (x & 0xff);
                throw new IllegalArgumentException(String.format(
                        "Module index: bad character '%c'=0x%x - only 7-bit ASCII is supported:%n%s", c, (int) c, s));
            }
        }
        return b;
    }

    /** The whole file: header, nodes in post-order, root offset patched into the header. */
    public byte[] toBytes() {
        Out out = new Out();
        out.word(MAGIC);
        out.word(VERSION);
        out.word(0);
        int rootWord = write(root, out);
        byte[] b = out.toByteArray();
        b[8] = (byte) (rootWord >>> 24);
        b[9] = (byte) (rootWord >>> 16);
        b[10] = (byte) (rootWord >>> 8);
        b[11] = (byte) rootWord;
        return b;
    }

    private static int write(Node node, Out out) {
        if (node == null) {
            return 0;
        }
        int[] childWords = null;
        if (node.first < CHILDMAX) {
            childWords = new int[node.last - node.first + 1];
            for (int i = 0; i < childWords.length; i++) {
                childWords[i] = write(node.children[node.first + i], out);
            }
        }
        int offset = out.size();
        if (node.prefix.length > 0) {
            out.write(node.prefix, 0, node.prefix.length);
            out.write(0);
            offset |= FLAG_PREFIX;
        }
        if (childWords != null) {
            out.write(node.first);
            out.write(node.last);
            for (int w : childWords) {
                out.word(w);
            }
            offset |= FLAG_CHILDS;
        }
        if (node.values != null) {
            int count = 0;
            for (Value v = node.values; v != null; v = v.next) {
                count++;
            }
            out.word(count);
            for (Value v = node.values; v != null; v = v.next) {
                out.word(v.priority);
                out.write(v.text, 0, v.text.length);
                out.write(0);
            }
            offset |= FLAG_VALUES;
        }
        return offset;
    }

    /** An unsynchronized growable byte buffer (ByteArrayOutputStream locks on every byte). */
    private static final class Out {
        private byte[] buf = new byte[1 << 16];
        private int size;

        int size() {
            return size;
        }

        private void ensure(int extra) {
            if (size + extra > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
            }
        }

        void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        void word(int w) {
            ensure(4);
            buf[size++] = (byte) (w >>> 24);
            buf[size++] = (byte) (w >>> 16);
            buf[size++] = (byte) (w >>> 8);
            buf[size++] = (byte) w;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }
}
