package org.lkmd.elf;

import java.nio.charset.StandardCharsets;

/**
 * A section's bytes copied out of the module image once, read with plain array access (far
 * cheaper than per-byte buffer reads when 4,000 symbol tables are walked), in the file's byte order.
 */
final class SectionBytes {
    private final byte[] b;
    private final int base;
    private final int len;
    private final boolean little;

    SectionBytes(byte[] b, boolean little) {
        this(b, 0, b.length, little);
    }

    /** A view of {@code len} bytes of {@code b} from {@code base} (no copy). */
    SectionBytes(byte[] b, int base, int len, boolean little) {
        this.b = b;
        this.base = base;
        this.len = len;
        this.little = little;
    }

    /** The strings of a NUL-separated section, as {@link KoStrings#split} gives them, from {@code from}. */
    java.util.List<String> strings(int from) {
        return KoStrings.split(b, base + from, base + len);
    }

    /** A big-endian 32-bit value (the signature descriptor's length field). */
    static long be32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff))
                & 0xffffffffL;
    }

    int length() {
        return len;
    }

    int u8(int off) {
        return b[base + off] & 0xff;
    }

    int u16(int off) {
        off += base;
        return little ? (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 : (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    long u32(int off) {
        off += base;
        long v = little
                ? (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (long) (b[off + 3] & 0xff) << 24
                : (long) (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
        return v & 0xffffffffL;
    }

    long u64(int off) {
        long lo = u32(little ? off : off + 4);
        long hi = u32(little ? off + 4 : off);
        return hi << 32 | lo;
    }

    /** True when the NUL-terminated string at {@code off} starts with {@code prefix}. */
    boolean startsWith(int off, byte[] prefix) {
        if (off < 0 || (long) off + prefix.length > len) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[base + off + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The string from {@code off} to the next NUL (or {@code limit}). */
    String cString(int off, int limit) {
        int start = base + off;
        int max = base + Math.min(limit, len);
        int end = start;
        while (end < max && b[end] != 0) {
            end++;
        }
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }
}
