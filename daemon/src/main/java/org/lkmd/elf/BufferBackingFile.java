package org.lkmd.elf;

import net.fornwall.jelf.BackingFile;
import net.fornwall.jelf.ElfException;

import java.nio.ByteBuffer;

/** Lets jelf read a module image through a {@link ByteBuffer} (mapped or heap) without copying it. */
final class BufferBackingFile implements BackingFile {
    private final ByteBuffer buf;
    private int pos;

    BufferBackingFile(ByteBuffer buf) {
        this.buf = buf;
    }

    @Override
    public void seek(long offset) {
        if (offset < 0 || offset > buf.limit()) {
            throw new ElfException("seek to " + offset + " beyond end of file (" + buf.limit() + " bytes)");
        }
        pos = (int) offset;
    }

    @Override
    public void skip(int bytes) {
        seek(pos + (long) bytes);
    }

    @Override
    public short readUnsignedByte() {
        if (pos >= buf.limit()) {
            throw new ElfException("read beyond end of file at " + pos);
        }
        return (short) (buf.get(pos++) & 0xff);
    }

    @Override
    public int read(byte[] b) {
        int n = Math.min(b.length, buf.limit() - pos);
        if (n <= 0) {
            return -1;
        }
        buf.get(pos, b, 0, n);
        pos += n;
        return n;
    }
}
