package org.lkmd.depmod;

import org.junit.jupiter.api.Test;

import java.io.PrintStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DepmodConfigTest {
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
