package org.lkmd.cli;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SinceTest {
    static final Instant NOW = Instant.parse("2026-12-06T16:30:45Z");
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static Optional<Instant> at(String text) {
        return Since.parse(text, NOW, BERLIN);
    }

    @Test
    void wordsAndEpochSeconds() {
        assertEquals(Optional.of(NOW), at("now"));
        assertEquals(Optional.of(Instant.parse("2026-12-05T23:00:00Z")), at("today"));
        assertEquals(Optional.of(Instant.parse("2026-12-04T23:00:00Z")), at("Yesterday"));
        assertEquals(Optional.of(Instant.ofEpochSecond(1_700_000_000)), at("@1700000000"));
    }

    @Test
    void relativeTimesInBothSpellings() {
        assertEquals(Optional.of(NOW.minusSeconds(600)), at("-10min"));
        assertEquals(Optional.of(NOW.minusSeconds(600)), at("10 min ago"));
        assertEquals(Optional.of(NOW.minusSeconds(2 * 3600)), at("-2h"));
        assertEquals(Optional.of(NOW.minusSeconds(30)), at("30s ago"));
        assertEquals(Optional.of(NOW.minusSeconds(86_400)), at("- 1 day"));
    }

    @Test
    void datesAndTimesAreLocalUnlessTheyCarryAnOffset() {
        assertEquals(Optional.of(Instant.parse("2026-12-06T07:00:00Z")), at("2026-12-06 08:00"));
        assertEquals(Optional.of(Instant.parse("2026-12-06T07:00:05Z")), at("2026-12-06T08:00:05"));
        assertEquals(Optional.of(Instant.parse("2026-12-05T23:00:00Z")), at("2026-12-06"));
        assertEquals(Optional.of(Instant.parse("2026-12-06T08:00:00Z")), at("2026-12-06T08:00:00Z"));
        assertEquals(Optional.of(Instant.parse("2026-12-06T13:15:00Z")), at("14:15"));
    }

    @Test
    void everythingElseIsRefused() {
        for (String bad : new String[]{"", "soon", "-10 fortnights", "@x", "@99999999999999999999", "2026-13-01",
                "25:00", "10 min", "-99999999999999d"}) {
            assertEquals(Optional.empty(), at(bad), bad);
        }
    }
}
