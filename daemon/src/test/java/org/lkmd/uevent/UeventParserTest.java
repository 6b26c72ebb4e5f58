package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UeventParserTest {
    private static final String PCSPKR = "add@/devices/platform/pcspkr\0ACTION=add\0DEVPATH=/devices/platform/pcspkr\0"
            + "SUBSYSTEM=platform\0MODALIAS=platform:pcspkr\0SEQNUM=2291\0";

    private final UeventParser parser = new UeventParser();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private UeventParser.Result parse(byte[] bytes) {
        return parser.parse(bytes, 0, bytes.length);
    }

    @Test
    void kernelAddEventIsParsedInOrder() {
        UeventParser.Result r = parse(b(PCSPKR));
        assertTrue(r.accepted(), r.detail());
        Uevent e = r.event();
        assertEquals("add", e.action());
        assertEquals("/devices/platform/pcspkr", e.devpath());
        assertEquals(2291, e.seqnum());
        assertEquals("platform:pcspkr", e.modalias());
        assertEquals("platform", e.subsystem());
        assertEquals("pcspkr", e.kernelName());
        assertEquals(java.util.List.of("ACTION", "DEVPATH", "SUBSYSTEM", "MODALIAS", "SEQNUM"),
                java.util.List.copyOf(e.properties().keySet()));
        assertNull(r.drop());
    }

    @Test
    void encodeIsTheInverseOfParse() {
        Uevent e = parse(b(PCSPKR)).event();
        assertEquals(PCSPKR, new String(UeventParser.encode(e), StandardCharsets.UTF_8));
    }

    @Test
    void eventWithoutSeqnumGetsMinusOne() {
        UeventParser.Result r = parse(b("change@/devices/virtual/x\0ACTION=change\0DEVPATH=/devices/virtual/x\0"));
        assertTrue(r.accepted());
        assertEquals(-1, r.event().seqnum());
    }

    @Test
    void byteBufferOverloadParsesRemainingBytesWithoutMovingPosition() {
        ByteBuffer buf = ByteBuffer.allocate(PCSPKR.length() + 4);
        buf.put(new byte[] {1, 2, 3, 4}).put(b(PCSPKR)).flip().position(4);
        assertTrue(parser.parse(buf).accepted());
        assertEquals(4, buf.position());
    }

    @Test
    void sliceOfALargerArrayIsParsed() {
        byte[] msg = b(PCSPKR);
        byte[] big = new byte[msg.length + 20];
        System.arraycopy(msg, 0, big, 10, msg.length);
        assertTrue(parser.parse(big, 10, msg.length).accepted());
    }

    @Test
    void duplicatePropertyKeepsLastValueAsUdevDoes() {
        UeventParser.Result r = parse(b(PCSPKR + "MODALIAS=platform:other\0"));
        assertEquals("platform:other", r.event().modalias());
    }

    static byte[] libudev() {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.put(b("libudev\0")).putInt(0xfeedcafe).putInt(40).putInt(40).putInt(24);
        b.put(b("ACTION=add\0DEVPATH=/devices/x\0"));
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static byte[] properties(int n) {
        StringBuilder sb = new StringBuilder("add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0");
        for (int i = 2; i < n; i++) {
            sb.append("K").append(i).append("=v\0");
        }
        return b(sb.toString());
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("over 8 KiB", new byte[UeventParser.MAX_SIZE + 1], DropReason.OVERSIZE),
                Arguments.of("31 bytes", b("add@/d\0ACTION=add\0DEVPATH=/d\0123"), DropReason.TOO_SHORT),
                Arguments.of("empty", new byte[0], DropReason.TOO_SHORT),
                Arguments.of("libudev monitor format", libudev(), DropReason.LIBUDEV_FORMAT),
                Arguments.of("cut before final NUL", b(PCSPKR.substring(0, PCSPKR.length() - 1)),
                        DropReason.NOT_NUL_TERMINATED),
                Arguments.of("header without @/", b("add@devices/platform/pcspkr\0ACTION=add\0DEVPATH=/x\0"),
                        DropReason.NO_HEADER),
                Arguments.of("header with empty action", b("@/devices/platform/pcspkr\0ACTION=add\0DEVPATH=/x\0"),
                        DropReason.NO_HEADER),
                Arguments.of("libudev prefix with wrong magic", b("libudev\0\0\0\0\0ACTION=add\0DEVPATH=/devices/x\0"),
                        DropReason.NO_HEADER),
                Arguments.of("ACTION disagrees", b(PCSPKR.replace("ACTION=add", "ACTION=remove")),
                        DropReason.HEADER_MISMATCH),
                Arguments.of("DEVPATH disagrees", b(PCSPKR.replace("DEVPATH=/devices/platform/pcspkr",
                        "DEVPATH=/devices/platform/evil")), DropReason.HEADER_MISMATCH),
                Arguments.of("ACTION missing", b(PCSPKR.replace("ACTION=add\0", "")), DropReason.HEADER_MISMATCH),
                Arguments.of("DEVPATH missing", b(PCSPKR.replace("DEVPATH=/devices/platform/pcspkr\0", "")),
                        DropReason.HEADER_MISMATCH),
                Arguments.of("property without =", b(PCSPKR + "GARBAGE\0"), DropReason.MALFORMED_PROPERTY),
                Arguments.of("empty key", b(PCSPKR + "=value\0"), DropReason.MALFORMED_PROPERTY),
                Arguments.of("empty string inside", b(PCSPKR + "\0X=1\0"), DropReason.MALFORMED_PROPERTY),
                Arguments.of("SEQNUM not a number", b(PCSPKR.replace("SEQNUM=2291", "SEQNUM=12a")),
                        DropReason.BAD_SEQNUM),
                Arguments.of("SEQNUM negative", b(PCSPKR.replace("SEQNUM=2291", "SEQNUM=-5")), DropReason.BAD_SEQNUM),
                Arguments.of("SEQNUM beyond 2^63", b(PCSPKR.replace("SEQNUM=2291", "SEQNUM=99999999999999999999")),
                        DropReason.BAD_SEQNUM),
                Arguments.of("65 properties", properties(65), DropReason.TOO_MANY_PROPERTIES));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("rejected")
    void malformedDatagramIsDroppedWithItsReason(String name, byte[] bytes, DropReason expected) {
        UeventParser.Result r = parse(bytes);
        assertFalse(r.accepted());
        assertEquals(expected, r.drop(), r.detail());
        assertFalse(r.detail().isEmpty());
    }

    @Test
    void exactlyTheBoundOfPropertiesIsAccepted() {
        assertTrue(parse(properties(64)).accepted());
        assertEquals(DropReason.TOO_MANY_PROPERTIES, new UeventParser(10).parse(properties(11), 0,
                properties(11).length).drop());
    }

    @Test
    void exactly32And8192BytesAreAccepted() {
        String min = "a@/d\0ACTION=a\0DEVPATH=/d\0X=1234\0";
        assertEquals(32, b(min).length);
        assertTrue(parse(b(min)).accepted());
        StringBuilder sb = new StringBuilder(PCSPKR).append("PAD=");
        while (sb.length() < UeventParser.MAX_SIZE - 1) {
            sb.append('x');
        }
        sb.append('\0');
        assertEquals(UeventParser.MAX_SIZE, b(sb.toString()).length);
        assertTrue(parse(b(sb.toString())).accepted());
    }

    /** Every reason the parser can give is covered by the table above. */
    @Test
    void tableCoversEveryParserReason() {
        Set<DropReason> parserReasons = EnumSet.range(DropReason.OVERSIZE, DropReason.TOO_MANY_PROPERTIES);
        Set<DropReason> seen = EnumSet.noneOf(DropReason.class);
        rejected().forEach(a -> seen.add((DropReason) a.get()[2]));
        assertEquals(parserReasons, seen);
    }

    @Test
    void scriptedSourceCountsDropsAndSignalsOverflow() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("ACTION", "add");
        props.put("DEVPATH", "/devices/platform/pcspkr");
        props.put("SEQNUM", "7");
        Uevent ok = new Uevent("add", "/devices/platform/pcspkr", 7, props);
        var steps = java.util.List.of(
                new ScriptedUeventSource.Datagram(UeventParser.encode(ok)),
                new ScriptedUeventSource.Datagram(libudev()),
                new ScriptedUeventSource.Overflow(),
                new ScriptedUeventSource.Datagram(b(PCSPKR)));
        var got = new java.util.ArrayList<Uevent>();
        int[] overflowAt = {-1};
        try (ScriptedUeventSource src = new ScriptedUeventSource(steps, parser)) {
            src.run(UeventSink.of(got::add, () -> overflowAt[0] = got.size()));
            assertEquals(2, src.delivered());
            assertEquals(1, src.overflows());
            assertEquals(Map.of(DropReason.LIBUDEV_FORMAT, 1L), src.drops().snapshot());
        }
        assertEquals(ok, got.get(0));
        assertEquals(2291, got.get(1).seqnum());
        assertEquals(1, overflowAt[0]);
    }
}
