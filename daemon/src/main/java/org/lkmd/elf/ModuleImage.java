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
        };
    }

    static ModuleImage of(FileChannel ch, long size) {
        return new ModuleImage() {
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
                ch.close();
            }
        };
    }
}
