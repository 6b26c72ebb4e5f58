package org.lkmd.uevent;

import com.sun.jna.LastErrorException;
import org.junit.jupiter.api.Test;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.KernelException;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The netlink code words a failed libc call through the kernel package's errno table, as the kernel code does. */
class NetlinkErrnoTest {

    @Test
    void aFailedCallReadsWithTheErrnosNameAndText() {
        IOException e = NetlinkSockets.io("recvmsg", new LastErrorException(105));
        assertEquals("recvmsg: ENOBUFS (No buffer space available)", e.getMessage());
        KernelException cause = assertInstanceOf(KernelException.class, e.getCause());
        assertSame(Errno.ENOBUFS, cause.errno());
    }

    @Test
    void anErrnoWithoutANameKeepsItsNumber() {
        assertEquals("recvmsg: errno 523 (Unknown error 523)",
                NetlinkSockets.io("recvmsg", new LastErrorException(523)).getMessage());
    }

    @Test
    void aRealSyscallFailureOnABadDescriptorIsWordedTheSameWay() {
        IOException e = assertThrows(IOException.class,
                () -> NetlinkSockets.setInt(-1, LibC.SOL_SOCKET, LibC.SO_PASSCRED, 1, "SO_PASSCRED"));
        assertEquals("setsockopt(SO_PASSCRED): EBADF (Bad file descriptor)", e.getMessage());
        assertSame(Errno.EBADF, ((KernelException) e.getCause()).errno());
    }
}
