package org.lkmd.kernel;

/** A kernel call failed with an errno. The message names the call and its object. */
public final class KernelException extends Exception {
    private final Errno errno;

    public KernelException(Errno errno, String call) {
        super(call + ": " + errno.name() + " (" + errno.text() + ")");
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
