package org.lkmd.modprobe;

import org.junit.jupiter.api.Test;
import org.lkmd.base.Diagnostic;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each expectation was checked against kmod 30's {@code modprobe -C FILE -c}. */
class ModprobeConfigParserTest {

    private record Parsed(String dump, List<String> diagnostics) {
    }

    private static Parsed parse(String text) {
        List<ConfigEntry> entries = new ArrayList<>();
        List<Diagnostic> diags = new ArrayList<>();
        ModprobeConfigParser.parse("a.conf", text, entries, diags);
        StringBuilder sb = new StringBuilder();
        new ModprobeConfig(entries).dump(sb);
        return new Parsed(sb.toString(), diags.stream().map(Diagnostic::toString).toList());
    }

    @Test
    void badLinesAreNamedWithFileAndLineAndTheRestApplies() {
        Parsed p = parse("alais foo bar\nalias my-thing snd-hda-intel\n  # indented comment\n"
                + "include foo\noptions\nblacklist crc16\n");
        assertEquals("blacklist crc16\nalias my_thing snd_hda_intel\n", p.dump());
        assertEquals(List.of(
                "a.conf:1: ignoring bad line starting with 'alais'",
                "a.conf:3: ignoring bad line starting with '#'",
                "a.conf:4: command include is deprecated and not parsed anymore",
                "a.conf:5: ignoring bad line starting with 'options'"), p.diagnostics());
    }

    @Test
    void restOfLineKeepsBlanksAfterTheOneSeparator() {
        Parsed p = parse("options a   x=1\toptB  \noptions b \noptions c  \nalias  x-y   z-w extra\n");
        assertEquals("alias x_y z_w\noptions a   x=1 optB  \noptions c  \n", p.dump());
        assertEquals(List.of("a.conf:2: ignoring bad line starting with 'options'"), p.diagnostics());
    }

    @Test
    void backslashJoinsLinesAndEscapesOtherCharacters() {
        Parsed p = parse("options a x=1 \\\n  y=2\\z \\\n\noptions b q\\\\r\nbad\n");
        assertEquals("options a x=1   y=2z \noptions b q\\r\n", p.dump());
        // the joined line spans lines 1-3; "bad" is physical line 5
        assertEquals(List.of("a.conf:5: ignoring bad line starting with 'bad'"), p.diagnostics());
    }

    @Test
    void softdepListsFollowOnlyExactKeywords() {
        Parsed p = parse("softdep s1 foo pre: a-b  c post:d pre: e\nsoftdep s2\nsoftdep s3 \n"
                + "softdep s4 pre: x post: y z\n");
        assertEquals("softdep s1 pre: a-b c post:d e\nsoftdep s4 pre: x post: y z\n", p.dump());
        assertEquals(2, p.diagnostics().size());
    }

    @Test
    void bracketsKeepDashesAndAnOpenBracketMakesTheLineBad() {
        Parsed p = parse("alias [a-b]-x m-n\nalias a]-b m\nblacklist c[d\n");
        assertEquals("alias [a-b]_x m_n\n", p.dump());
        assertEquals(List.of("a.conf:2: ignoring bad line starting with 'alias'",
                "a.conf:3: ignoring bad line starting with 'blacklist'"), p.diagnostics());
    }

    @Test
    void weakdepAndInstallRemoveAreKept() {
        Parsed p = parse("weakdep foo bar baz\ninstall i1   /bin/true  x\nremove r-1 /bin/false\n");
        assertEquals("install i1   /bin/true  x\nremove r_1 /bin/false\nweakdep foo bar baz\n", p.dump());
    }

    @Test
    void denyTakesExactlyOneNameNormalisedAsKmodDoes() {
        Parsed p = parse("deny e1000-e\ndeny\ndeny a b\ndeny snd_hda_intel\t\nblacklist x\ndeny e1000_e\n");
        assertEquals("blacklist x\ndeny e1000_e\ndeny snd_hda_intel\n", p.dump());
        assertEquals(List.of(
                "a.conf:2: ignoring bad line starting with 'deny': one module name expected",
                "a.conf:3: ignoring bad line starting with 'deny': one module name expected"), p.diagnostics());
    }
}
