package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.EnumSet;
import java.util.Set;

/**
 * Any datagram, as the netlink socket would hand it over, is either an event or a named drop.
 * Seeds: real kernel uevents captured on this kind of machine ({@code UeventParserFuzzTestInputs}).
 */
class UeventParserFuzzTest {
    /** The reasons the parser may give; the others are the socket's to give. */
    private static final Set<DropReason> PARSER_REASONS = EnumSet.range(DropReason.OVERSIZE, DropReason.TOO_MANY_PROPERTIES);

    private final UeventParser parser = new UeventParser();

    @FuzzTest(maxDuration = "5s")
    void parseEveryDatagram(byte[] datagram) {
        UeventParser.Result r = parser.parse(datagram, 0, datagram.length);
        if (r.accepted()) {
            Uevent e = r.event();
            assertEquals(e.action(), e.get("ACTION"));
            assertEquals(e.devpath(), e.get("DEVPATH"));
            assertTrue(e.devpath().startsWith("/"), e.devpath());
            // what the parser accepts, encode() writes back to bytes the parser accepts as the same event
            byte[] again = UeventParser.encode(e);
            UeventParser.Result r2 = parser.parse(again, 0, again.length);
            assertTrue(r2.accepted(), r2.detail());
            assertEquals(e, r2.event());
        } else {
            assertTrue(PARSER_REASONS.contains(r.drop()), r.drop().name());
            assertFalse(r.detail().isEmpty(), "a drop says why");
        }

        // the same bytes inside a larger receive buffer give the same answer
        byte[] big = new byte[datagram.length + 7];
        System.arraycopy(datagram, 0, big, 3, datagram.length);
        UeventParser.Result sliced = parser.parse(big, 3, datagram.length);
        assertEquals(r.event(), sliced.event());
        assertEquals(r.drop(), sliced.drop());
    }
}
