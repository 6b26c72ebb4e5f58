package org.lkmd.elf;

import org.junit.jupiter.api.Test;

import java.io.PrintStream;
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

    @Test
    void depmodConfigKeepsKmodsListOrderAndSkipsBadLines() {
        DepmodLog log = new DepmodLog(new PrintStream(java.io.OutputStream.nullOutputStream()), 0);
        DepmodConfig c = new DepmodConfig();
        c.parse("x.conf", "search updates built-in\noverride foo * extra\noverride bar ^2 extra\nexclude a b\n"
                + "external 6.* /opt/ext\nbogus line\nsearch \\\nexternal\n", "6.1.0", log);
        assertEquals(List.of("external", "built-in", "updates"), c.searches().stream().map(DepmodConfig.Search::path).toList());
        assertEquals(List.of("extra/foo"), c.overrides());
        assertEquals(List.of("a", "b"), c.excludes());
        assertEquals(List.of("/opt/ext"), c.externals());
    }
}
