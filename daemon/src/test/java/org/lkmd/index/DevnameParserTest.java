package org.lkmd.index;

import org.junit.jupiter.api.Test;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DevnameParserTest {

    @Test
    void readsEntriesSkipsCommentsAndReportsBadLinesWithTheirNumbers() {
        String text = "# Device nodes to trigger on-demand module loading.\n"
                + "fuse fuse c10:229\n"
                + "bad line here\n"
                + "snd_seq snd/seq c116:1\n"
                + "\n"
                + "loop loop0 b7:0 trailing words\n"
                + "x y z1:2\n"
                + "last last c-1:+5";
        ParseResult<List<DevnameEntry>> r = DevnameParser.parse("modules.devname", text);
        assertEquals(List.of(
                new DevnameEntry(2, "fuse", "fuse", 'c', 10, 229),
                new DevnameEntry(4, "snd_seq", "snd/seq", 'c', 116, 1),
                new DevnameEntry(6, "loop", "loop0", 'b', 7, 0),
                new DevnameEntry(8, "last", "last", 'c', 4294967295L, 5)), r.value().orElseThrow());
        assertEquals(List.of(
                Diagnostic.error("modules.devname", 3, "invalid devname entry: bad line here\n"),
                Diagnostic.error("modules.devname", 5, "invalid devname entry: \n"),
                Diagnostic.error("modules.devname", 7, "invalid devname entry: x y z1:2\n")), r.diagnostics());
    }

    @Test
    void numbersAreStoredInThirtyTwoBitsAndAMissingColonIsAnError() {
        ParseResult<List<DevnameEntry>> r = DevnameParser.parse("f",
                "a a c4294967296:99999999999999999999999\nb b c10 229\nc c c:1\n");
        assertEquals(List.of(new DevnameEntry(1, "a", "a", 'c', 0, 4294967295L)), r.value().orElseThrow());
        assertEquals(2, r.diagnostics().size());
    }

    @Test
    void aLineLongerThanKmodsBufferIsReadInPieces() {
        String longName = "m".repeat(5000);
        ParseResult<List<DevnameEntry>> r = DevnameParser.parse("f", longName + " d c1:2\n");
        // the first 4095 bytes are one word alone (invalid), the rest is a valid line
        assertEquals(List.of(new DevnameEntry(2, "m".repeat(5000 - 4095), "d", 'c', 1, 2)), r.value().orElseThrow());
        assertEquals(1, r.diagnostics().size());
    }
}
