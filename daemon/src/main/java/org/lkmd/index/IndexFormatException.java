package org.lkmd.index;

import java.nio.file.Path;

/**
 * A binary index file that cannot be read as kmod's format: bad magic or version, an offset or
 * a string that runs past the end of the file, a malformed node. Carries the file and the byte
 * offset where reading went wrong. Unchecked: lookups over a mapped file may meet corruption
 * lazily, and callers ({@link ModuleIndexLoader}) turn it into a diagnostic.
 */
public final class IndexFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final long offset;

    public IndexFormatException(Path path, long offset, String msg) {
        super(path + ": offset " + offset + ": " + msg);
        this.path = path;
        this.offset = offset;
    }

    /** The index file being read. */
    public Path path() {
        return path;
    }

    /** Byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
