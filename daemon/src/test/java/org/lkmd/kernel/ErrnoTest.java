package org.lkmd.kernel;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrnoTest {
    interface LibC extends Library {
        String strerror(int errnum);

        Pointer newlocale(int mask, String locale, Pointer base);

        Pointer uselocale(Pointer loc);
    }

    private static List<Errno> named() throws IllegalAccessException {
        List<Errno> out = new ArrayList<>();
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == Errno.class) {
                Errno e = (Errno) f.get(null);
                assertEquals(f.getName(), e.name());
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void everyNamedErrnoReadsAsGlibcsStrerrorAndIsFoundByNumber() throws Exception {
        LibC libc = Native.load("c", LibC.class);
        Pointer old = libc.uselocale(libc.newlocale(8127, "C", Pointer.NULL));
        try {
            List<Errno> all = named();
            assertTrue(all.size() > 30, "the table");
            for (Errno e : all) {
                assertEquals(libc.strerror(e.code()), e.text(), e.name());
                assertSame(e, Errno.of(e.code()), e.name());
            }
            // the numbers it has no name for read as glibc says too, keeping their number
            for (int code : new int[] {523, 135, 4095}) {
                assertEquals(libc.strerror(code), Errno.of(code).text(), "errno " + code);
            }
        } finally {
            libc.uselocale(old);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {523, 512, 4095})
    void anUnknownErrnoKeepsItsNumberInsteadOfBecomingEio(int code) {
        Errno e = Errno.of(code);
        assertEquals(code, e.code());
        assertEquals("errno " + code, e.name());
        assertEquals("Unknown error " + code, e.text());
        assertNotEquals(Errno.EIO, e);
        assertEquals(e, Errno.of(code));
        assertEquals("finit_module(/lib/modules/x.ko): errno " + code + " (Unknown error " + code + ")",
                new KernelException(e, "finit_module(/lib/modules/x.ko)").getMessage());
    }

    @Test
    void kernelExceptionsNameTheCallTheErrnoAndItsText() {
        assertEquals("recvmsg: ENOBUFS (No buffer space available)",
                new KernelException(Errno.of(105), "recvmsg").getMessage());
        assertEquals("init_module: EEXIST (File exists)", new KernelException(Errno.EEXIST, "init_module").getMessage());
    }
}
