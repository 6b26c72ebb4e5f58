package org.lkmd.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Where a module's bytes come from: a decompressed image in memory, or an uncompressed file read
 * piecewise with positional reads (only the header, section table and the sections asked for are
 * ever read: no mapping, no copy of the code).
 */
abstract class ModuleImage implements AutoCloseable {
    abstract long size();

    /** {@code len} bytes at {@code off}; the caller has checked the range. */
    abstract byte[] read(long off, int len) throws IOException;

    /**
     * A view of {@code len} bytes at {@code off}, valid until this image is closed: in-memory
     * images give a view of their array, files are read into a per-thread scratch area that is
     * reused for the next module (4,000 modules' symbol tables would otherwise be fresh garbage).
     */
    abstract SectionBytes section(long off, int len, boolean little) throws IOException;

    /** Per-thread bump allocator for section reads, reset when the last image using it closes. */
    private static final class Scratch {
        byte[] buf = new byte[1 << 20];
        int top;
        int users;

        int take(int len) {
            if (top + len > buf.length) {
                // older views keep the old array alive; only new reads go to the bigger one
                buf = new byte[Math.max(buf.length * 2, len)];
                top = 0;
            }
            int at = top;
            top += len;
            return at;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public void close() throws IOException {
    }

    static ModuleImage of(byte[] data) {
        return new ModuleImage() {
            @Override
            long size() {
                return data.length;
            }

            @Override
            byte[] read(long off, int len) {
                byte[] b = new byte[len];
                System.arraycopy(data, (int) off, b, 0, len);
                return b;
            }

            @Override
            SectionBytes section(long off, int len, boolean little) {
                return new SectionBytes(data, (int) off, len, little);
            }
        };
    }

    static ModuleImage of(FileChannel ch, long size) {
        Scratch scratch = SCRATCH.get();
        scratch.users++;
        return new ModuleImage() {
            private boolean closed;

            @Override
            SectionBytes section(long off, int len, boolean little) throws IOException {
                int at = scratch.take(len);
                byte[] buf = scratch.buf;
                ByteBuffer bb = ByteBuffer.wrap(buf, at, len);
                while (bb.hasRemaining()) {
                    if (ch.read(bb, off + (bb.position() - at)) < 0) {
                        throw new IOException("file shrank while reading");
                    }
                }
                return new SectionBytes(buf, at, len, little);
            }

            @Override
            long size() {
                return size;
            }

            @Override
            byte[] read(long off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.allocate(len);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, off + buf.position()) < 0) {
                        throw new IOException("file shrank while reading");
                    }
                }
                return buf.array();
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    if (--scratch.users == 0) {
                        scratch.top = 0;
                    }
                }
                ch.close();
            }
        };
    }
}
