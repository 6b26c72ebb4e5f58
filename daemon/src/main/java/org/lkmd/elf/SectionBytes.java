package org.lkmd.elf;

import java.nio.charset.StandardCharsets;

/**
 * A section's bytes copied out of the module image once, read with plain array access (far
 * cheaper than per-byte buffer reads when 4,000 symbol tables are walked), in the file's byte order.
 */
final class SectionBytes {
    final byte[] b;
    private final boolean little;

    SectionBytes(byte[] b, boolean little) {
        this.b = b;
        this.little = little;
    }

    /** A big-endian 32-bit value (the signature descriptor's length field). */
    static long be32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff))
                & 0xffffffffL;
    }

    int length() {
        return b.length;
    }

    int u8(int off) {
        return b[off] & 0xff;
    }

    int u16(int off) {
        return little ? (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 : (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    long u32(int off) {
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
        if (off + prefix.length > b.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[off + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The string from {@code off} to the next NUL (or {@code limit}). */
    String cString(int off, int limit) {
        int end = off;
        while (end < limit && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.ISO_8859_1);
    }
}
