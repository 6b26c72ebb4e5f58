package org.lkmd.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Reads kmod's binary index files ({@code modules.dep.bin}, {@code modules.alias.bin},
 * {@code modules.symbols.bin}, {@code modules.builtin.bin}, {@code modules.builtin.alias.bin})
 * copied whole into the heap (a byte array: under an interpreter, or QEMU's TCG, array reads cost a
 * fraction of a mapped buffer's {@code get} calls, and the files are small: ~2.7 MB for a Debian
 * kernel), answering lookups the way libkmod does.
 *
 * <h2>File format (version 2)</h2>
 *
 * Every integer is an unsigned 32-bit big-endian word. The file starts with a 12-byte header:
 * the magic {@code 0xB007F457}, the version (major in the high 16 bits, must be 2; the minor is
 * ignored) and the offset word of the root node. A node offset word carries flags in its high
 * nibble ({@code 0x80000000}: the node has a prefix, {@code 0x40000000}: it has values,
 * {@code 0x20000000}: it has children) and the node's absolute file offset in its low 28 bits;
 * offset 0 means "no node". At that offset the node holds, each only when flagged and in this
 * order:
 * <ol>
 * <li>its prefix, a NUL-terminated string;</li>
 * <li>its children: one byte {@code first}, one byte {@code last} (both below 128), then
 * {@code last - first + 1} offset words, the child for character {@code first + i} at index
 * {@code i} (0 where there is none);</li>
 * <li>its values: a count word, then {@code count} records of a priority word followed by a
 * NUL-terminated string, in ascending priority.</li>
 * </ol>
 * The structure is a Patricia trie: the key of a node is, from the root down, each edge
 * character followed by that child's prefix. kmod &le; 33 writes nodes in post-order (children
 * first, the root last, its offset patched into the header); kmod &ge; 34 writes pre-order with
 * the root at offset 12. This reader only follows offsets, so it takes both.
 *
 * <h2>Lookups</h2>
 *
 * {@link #search} is libkmod's exact search (first value of the key). {@link #searchWild} is its
 * wildcard search, where stored keys are {@code fnmatch} patterns and the query is literal: the
 * walk compares literal characters until it meets {@code *}, {@code ?} or {@code [} in a stored
 * key, from where it traverses the whole subtree (children before the node's own values) and
 * matches the rest of each key against the rest of the query with {@link Fnmatch}. Every match
 * is inserted into the result before the first value whose priority is not lower, so the result
 * ascends by priority and, among equal priorities, the value found later comes first.
 *
 * <p>Every offset, count and string is checked against the buffer; a corrupt or truncated file
 * raises {@link IndexFormatException} with the offending offset, and a node graph that is not a
 * tree (a cycle, or a node shared by two parents) is an error: a traversal reads each node once.
 * Instances are immutable and thread-safe (reads use absolute positions only).
 */
public final class BinIndexReader {

    static final int MAGIC = 0xB007F457;
    static final int VERSION_MAJOR = 2;
    static final int FLAG_PREFIX = 0x80000000;
    static final int FLAG_VALUES = 0x40000000;
    static final int FLAG_CHILDREN = 0x20000000;
    static final int OFFSET_MASK = 0x0FFFFFFF;
    static final int HEADER_SIZE = 12;
    private static final int CHILD_MAX = 128;

    private final Path path;
    private final byte[] data;
    private final int rootWord;

    /** Receives the entries of {@link #forEach}: a key and one of its values. */
    @FunctionalInterface
    public interface EntryConsumer {
        void accept(String key, IndexValue value);
    }

    /**
     * Reads the header of {@code buffer} (positions 0..limit) and checks it.
     *
     * @param path the file the buffer came from, for error messages
     * @throws IndexFormatException on a short file, bad magic or a major version other than 2
     */
    public BinIndexReader(Path path, ByteBuffer buffer) {
        this.path = path;
        ByteBuffer b = buffer.duplicate();
        b.position(0);
        this.data = new byte[b.limit()];
        b.get(data);
        if (data.length < HEADER_SIZE) {
            throw new IndexFormatException(path, 0, "file too short for an index header ("
                    + data.length + " bytes)");
        }
        int magic = intAt(0);
        if (magic != MAGIC) {
            throw new IndexFormatException(path, 0, String.format(
                    "bad magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int version = intAt(4);
        if ((version >>> 16) != VERSION_MAJOR) {
            throw new IndexFormatException(path, 4, "unsupported major version " + (version >>> 16));
        }
        this.rootWord = intAt(8);
    }

    /** Reads {@code path} and its header. */
    public static BinIndexReader open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > OFFSET_MASK) {
                throw new IndexFormatException(path, 0, "file too large (" + size + " bytes)");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // a file that shrank meanwhile gives fewer bytes: the checks then name the offset
            }
            b.flip();
            return new BinIndexReader(path, b);
        }
    }

    /** The unsigned 32-bit big-endian word at {@code pos} (as an int); the caller checked the bounds. */
    private int intAt(int pos) {
        return (data[pos] & 0xFF) << 24 | (data[pos + 1] & 0xFF) << 16 | (data[pos + 2] & 0xFF) << 8
                | data[pos + 3] & 0xFF;
    }

    /** The file this index was read from. */
    public Path path() {
        return path;
    }

    /** Exact search: the first (lowest-priority) value stored under {@code key}, if any. */
    public Optional<String> search(String key) {
        Budget budget = new Budget(false);
        Node node = node(rootWord, 8, budget);
        int i = 0;
        while (node != null) {
            for (int j = 0; j < node.prefixLen; j++, i++) {
                if (i >= key.length() || key.charAt(i) != node.prefixChar(j)) {
                    return Optional.empty();
                }
            }
            if (i == key.length()) {
                return node.valueCount > 0 ? Optional.of(node.values().get(0).value())
                        : Optional.empty();
            }
            node = node.child(key.charAt(i), budget);
            i++;
        }
        return Optional.empty();
    }

    /** Wildcard search in libkmod's result order (see the class comment). */
    public List<IndexValue> searchWild(String key) {
        List<IndexValue> out = new ArrayList<>();
        Budget budget = new Budget(false);
        StringBuilder pattern = new StringBuilder();
        Node node = node(rootWord, 8, budget);
        int i = 0;
        while (node != null) {
            for (int j = 0; j < node.prefixLen; j++) {
                char ch = node.prefixChar(j);
                if (ch == '*' || ch == '?' || ch == '[') {
                    matchSubtree(node, j, pattern, key.substring(Math.min(i + j, key.length())),
                            out, budget, 0);
                    return out;
                }
                if (i + j >= key.length() || ch != key.charAt(i + j)) {
                    return out;
                }
            }
            i += node.prefixLen;
            String rest = key.substring(i);
            for (char wild : new char[] {'*', '?', '['}) {
                Node child = node.child(wild, budget);
                if (child != null) {
                    pattern.append(wild);
                    matchSubtree(child, 0, pattern, rest, out, budget, 1);
                    pattern.setLength(0);
                }
            }
            if (i == key.length()) {
                for (IndexValue v : node.values()) {
                    addValue(out, v);
                }
                return out;
            }
            node = node.child(key.charAt(i), budget);
            i++;
        }
        return out;
    }

    /** Traverses a subtree below a wildcard, children first, matching each valued node's pattern. */
    private void matchSubtree(Node node, int from, StringBuilder pattern, String subkey,
            List<IndexValue> out, Budget budget, int depth) {
        checkDepth(node, depth);
        int mark = pattern.length();
        for (int j = from; j < node.prefixLen; j++) {
            pattern.append(node.prefixChar(j));
        }
        for (int ch = node.first; ch <= node.last; ch++) {
            Node child = node.child(ch, budget);
            if (child != null) {
                pattern.append((char) ch);
                matchSubtree(child, 0, pattern, subkey, out, budget, depth + 1);
                pattern.setLength(pattern.length() - 1);
            }
        }
        if (node.valueCount > 0 && Fnmatch.fnmatch(pattern.toString(), subkey)) {
            for (IndexValue v : node.values()) {
                addValue(out, v);
            }
        }
        pattern.setLength(mark);
    }

    /** libkmod's insertion: before the first value whose priority is not lower. */
    static void addValue(List<IndexValue> out, IndexValue v) {
        int at = 0;
        while (at < out.size() && out.get(at).priority() < v.priority()) {
            at++;
        }
        out.add(at, v);
    }

    /**
     * Writes every entry as {@code linePrefix + key + " " + value + "\n"} in trie order (keys in
     * byte order, a key's values in stored order), as libkmod's index dump does.
     */
    public void dump(String linePrefix, Appendable out) throws IOException {
        try {
            forEach((key, v) -> {
                try {
                    out.append(linePrefix).append(key).append(' ').append(v.value()).append('\n');
                } catch (IOException e) {
                    throw new DumpFailed(e);
                }
            });
        } catch (DumpFailed e) {
            throw (IOException) e.getCause();
        }
    }

    private static final class DumpFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DumpFailed(IOException cause) {
            super(cause);
        }
    }

    /** Visits every entry in trie order (a node's values, then its children by character). */
    public void forEach(EntryConsumer consumer) {
        Budget budget = new Budget(true);
        Node root = node(rootWord, 8, budget);
        if (root != null) {
            walk(root, new StringBuilder(), consumer, budget, 0);
        }
    }

    /**
     * Reads every node once, so that later lookups cannot meet a corrupt offset: the checks of
     * {@link #forEach} in its order (so the same first error), without building keys or values.
     */
    public void validate() {
        Budget budget = new Budget(true);
        Node root = node(rootWord, 8, budget);
        if (root != null) {
            check(root, budget, 0);
        }
    }

    private void check(Node node, Budget budget, int depth) {
        checkDepth(node, depth);
        int pos = node.valuesAt;
        for (int k = 0; k < node.valueCount; k++) {
            need(pos, 4, "value priority");
            pos += 4;
            pos += stringLength(pos) + 1;
        }
        for (int ch = node.first; ch <= node.last; ch++) {
            Node child = node.child(ch, budget);
            if (child != null) {
                check(child, budget, depth + 1);
            }
        }
    }

    private void walk(Node node, StringBuilder key, EntryConsumer consumer, Budget budget, int depth) {
        checkDepth(node, depth);
        int mark = key.length();
        for (int j = 0; j < node.prefixLen; j++) {
            key.append(node.prefixChar(j));
        }
        if (node.valueCount > 0) {
            String k = key.toString();
            for (IndexValue v : node.values()) {
                consumer.accept(k, v);
            }
        }
        for (int ch = node.first; ch <= node.last; ch++) {
            Node child = node.child(ch, budget);
            if (child != null) {
                key.append((char) ch);
                walk(child, key, consumer, budget, depth + 1);
                key.setLength(key.length() - 1);
            }
        }
        key.setLength(mark);
    }

    private void checkDepth(Node node, int depth) {
        // Each level adds a key character; real keys are far below this (PATH_MAX).
        if (depth > 8192) {
            throw new IndexFormatException(path, node.offset, "trie deeper than 8192 levels");
        }
    }

    /**
     * Bounds one traversal's node reads. A lookup reads at most as many nodes as the file has
     * bytes, so a cyclic node graph cannot make it run forever (a wildcard search may reach a node
     * twice: by its wildcard child and by the key's own character). A walk of the whole trie
     * ({@link #forEach}, {@link #validate}) reads each node once: kmod's depmod writes a tree, each
     * node at its own offset, and a node shared by two parents would make a walk, and a dump, grow
     * exponentially with the file.
     */
    private final class Budget {
        private long left = (long) data.length + 16;
        private final BitSet seen;

        Budget(boolean wholeTree) {
            this.seen = wholeTree ? new BitSet(data.length + 1) : null;
        }

        void spend(int offset) {
            if (--left < 0) {
                throw new IndexFormatException(path, offset,
                        "node graph is not a tree (more node reads than file bytes)");
            }
            if (seen != null && offset >= 0 && offset <= data.length) {
                if (seen.get(offset)) {
                    throw new IndexFormatException(path, offset, "node graph is not a tree (node reached twice)");
                }
                seen.set(offset);
            }
        }
    }

    /** Parses the node that {@code word} (read at {@code wordAt}) points to; null for offset 0. */
    private Node node(int word, int wordAt, Budget budget) {
        int offset = word & OFFSET_MASK;
        if (offset == 0) {
            return null;
        }
        budget.spend(offset);
        int size = data.length;
        // a node without prefix, children or values takes no bytes: kmod's depmod writes an empty
        // index as a header whose root points just past it (a 12-byte modules.symbols.bin)
        boolean empty = (word & (FLAG_PREFIX | FLAG_CHILDREN | FLAG_VALUES)) == 0;
        if (offset < HEADER_SIZE || offset > size || offset == size && !empty) {
            throw new IndexFormatException(path, wordAt, "node offset " + offset
                    + " outside the file (" + size + " bytes)");
        }
        int pos = offset;
        int prefixStart = pos;
        int prefixLen = 0;
        if ((word & FLAG_PREFIX) != 0) {
            prefixLen = stringLength(pos);
            pos += prefixLen + 1;
        }
        int first = CHILD_MAX;
        int last = 0;
        int childrenAt = pos;
        if ((word & FLAG_CHILDREN) != 0) {
            need(pos, 2, "child range");
            first = data[pos] & 0xFF;
            last = data[pos + 1] & 0xFF;
            if (first > last || last >= CHILD_MAX) {
                throw new IndexFormatException(path, pos, "bad child range " + first + ".." + last);
            }
            childrenAt = pos + 2;
            pos = childrenAt;
            need(pos, 4L * (last - first + 1), "child offsets");
            pos += 4 * (last - first + 1);
        }
        int valueCount = 0;
        int valuesAt = pos;
        if ((word & FLAG_VALUES) != 0) {
            need(pos, 4, "value count");
            long count = intAt(pos) & 0xFFFFFFFFL;
            // each value takes at least 5 bytes (priority and a NUL)
            if (count > (size - pos - 4) / 5) {
                throw new IndexFormatException(path, pos, "value count " + count
                        + " larger than the rest of the file allows");
            }
            valueCount = (int) count;
            valuesAt = pos + 4;
        }
        return new Node(offset, prefixStart, prefixLen, first, last, childrenAt, valueCount, valuesAt);
    }

    private void need(long pos, long len, String what) {
        if (pos + len > data.length) {
            throw new IndexFormatException(path, pos, what + " run past the end of the file");
        }
    }

    private int stringLength(int pos) {
        int size = data.length;
        for (int p = pos; p < size; p++) {
            if (data[p] == 0) {
                return p - pos;
            }
        }
        throw new IndexFormatException(path, pos, "unterminated string");
    }

    private String string(int pos, int len) {
        char[] chars = new char[len];
        for (int k = 0; k < len; k++) {
            chars[k] = (char) (data[pos + k] & 0xFF);
        }
        return new String(chars);
    }

    /** One parsed node; strings are decoded byte-per-char (ISO-8859-1). */
    private final class Node {
        final int offset;
        final int prefixStart;
        final int prefixLen;
        final int first;
        final int last;
        final int childrenAt;
        final int valueCount;
        final int valuesAt;

        Node(int offset, int prefixStart, int prefixLen, int first, int last, int childrenAt,
                int valueCount, int valuesAt) {
            this.offset = offset;
            this.prefixStart = prefixStart;
            this.prefixLen = prefixLen;
            this.first = first;
            this.last = last;
            this.childrenAt = childrenAt;
            this.valueCount = valueCount;
            this.valuesAt = valuesAt;
        }

        char prefixChar(int j) {
            return (char) (data[prefixStart + j] & 0xFF);
        }

        Node child(int ch, Budget budget) {
            if (ch < first || ch > last) {
                return null;
            }
            int at = childrenAt + 4 * (ch - first);
            return node(intAt(at), at, budget);
        }

        List<IndexValue> values() {
            List<IndexValue> values = new ArrayList<>(valueCount);
            int pos = valuesAt;
            for (int k = 0; k < valueCount; k++) {
                need(pos, 4, "value priority");
                long priority = intAt(pos) & 0xFFFFFFFFL;
                pos += 4;
                int len = stringLength(pos);
                values.add(new IndexValue(priority, string(pos, len)));
                pos += len + 1;
            }
            return values;
        }
    }
}
