package org.lkmd.elf;

import io.airlift.compress.zstd.ZstdInputStream;
import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * How a module file is compressed, told by its magic bytes (never by its name), and the
 * decompression of a whole image. Names are the ones {@code /sys/module/compression} uses.
 */
public enum Compression {
    NONE("none"),
    GZIP("gzip"),
    XZ("xz"),
    ZSTD("zstd");

    /** Largest decompressed module accepted (the biggest Debian module is ~20 MiB). */
    public static final int MAX_IMAGE = 512 << 20;

    private final String kernelName;

    Compression(String kernelName) {
        this.kernelName = kernelName;
    }

    /** The name the kernel uses in {@code /sys/module/compression}. */
    public String kernelName() {
        return kernelName;
    }

    /** Detects the compression from the first bytes of a file. */
    public static Compression detect(byte[] head, int len) {
        if (len >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (len >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X'
                && head[4] == 'Z' && head[5] == 0) {
            return XZ;
        }
        if (len >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    public static Compression detect(byte[] data) {
        return detect(data, data.length);
    }

    /** Decompresses a whole image; NONE returns the input. */
    public byte[] decompress(byte[] data) throws IOException {
        if (this == NONE) {
            return data;
        }
        try (InputStream in = open(new ByteArrayInputStream(data))) {
            byte[] out = in.readNBytes(MAX_IMAGE + 1);
            if (out.length > MAX_IMAGE) {
                throw new IOException("decompressed module larger than " + (MAX_IMAGE >> 20) + " MiB");
            }
            return out;
        }
    }

    private InputStream open(InputStream raw) throws IOException {
        return switch (this) {
            case GZIP -> new GZIPInputStream(raw, 1 << 16);
            case XZ -> new XZInputStream(raw);
            case ZSTD -> new ZstdInputStream(raw);
            case NONE -> raw;
        };
    }
}
