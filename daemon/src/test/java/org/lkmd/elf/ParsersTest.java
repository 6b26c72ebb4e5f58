package org.lkmd.elf;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ParsersTest {
    @Test
    void modinfoSplitsOnNulRunsAndKeepsRecordsWithoutEquals() {
        byte[] sec = "\0\0license=GPL\0\0alias=a\0flag\0alias=b=c".getBytes(StandardCharsets.ISO_8859_1);
        ModInfo m = ModInfo.parse(sec);
        assertEquals(4, m.entries().size());
        assertEquals(List.of("a", "b=c"), m.all("alias"));
        assertNull(m.entries().get(2).value());
    }
}
