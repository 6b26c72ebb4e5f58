package org.lkmd.it.guest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestRunTest {
    @Test
    void parsesResultsTimesAndIgnoresConsoleNoise() {
        GuestRun r = new GuestRun();
        r.accept("\u001b[2JLKMD-BOOT uptime_ms=3100 release=6.1.0-x");
        r.accept("[   55.9] brd: `x' invalid for parameter `rd_nr'");
        r.accept("LKMD-RESULT 10-a/insmod PASS ok");
        r.accept("LKMD-RESULT 10-a/msg FAIL expected [a] got [b]\r");
        r.accept("LKMD-CHECKS 10-a n=2");
        r.accept("LKMD-SCENARIO 10-a rc=0 ms=2500");
        assertFalse(r.done());
        r.accept("LKMD-DONE uptime_ms=9000 scenarios_ms=5900");
        assertTrue(r.done());
        assertEquals(3100, r.bootMs);
        assertEquals(5900, r.scenariosMs);
        assertEquals(2, r.results.size());
        assertTrue(r.results.get(0).pass());
        assertEquals("expected [a] got [b]", r.results.get(1).detail());
        assertEquals(2500, r.scenarios.get(0).ms());
        assertEquals(2, r.announcedChecks.get("10-a"));
        assertEquals(2, r.resultsOf("10-a"));
        assertEquals(0, r.resultsOf("10"));
    }
}
