package org.lkmd.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelCmdlineKnobsTest {
    static KernelCmdlineKnobs parse(String cmdline) {
        return KernelCmdlineKnobs.parse("/proc/cmdline", cmdline, 2048);
    }

    @Test
    void readsTheThreeKnobsInEitherSpellingAndTheLastWordWins() {
        KernelCmdlineKnobs k = parse("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro lkmd.log-level=7 lkmd.children_max=3 "
                + "lkmd.coldplug=scan lkmd.log_level=warning quiet\n");
        assertEquals(Optional.of("warn"), k.logLevel());
        assertEquals(OptionalInt.of(3), k.childrenMax());
        assertEquals(Optional.of(DaemonConfig.ColdplugMode.SCAN), k.coldplug());
        assertEquals(List.of(), k.warnings());
    }

    @Test
    void zeroChildrenMeansAutomaticAndQuotesAreDropped() {
        KernelCmdlineKnobs k = parse("\"lkmd.children_max=0\" lkmd.coldplug=\"off\"");
        assertEquals(OptionalInt.of(0), k.childrenMax());
        assertEquals(Optional.of(DaemonConfig.ColdplugMode.OFF), k.coldplug());
    }

    @Test
    void initramfsWordsAndOtherPrefixesAreNotOurs() {
        KernelCmdlineKnobs k = parse("rd.lkmd.log_level=debug udev.children_max=9 xlkmd.coldplug=off lkmdfoo=1");
        assertEquals(KernelCmdlineKnobs.none(), k);
    }

    @Test
    void everyBadWordGetsOneWarningAndKeepsTheEarlierValue() {
        KernelCmdlineKnobs k = parse("lkmd.children_max=4 lkmd.children_max=-1 lkmd.children_max=4096 "
                + "lkmd.children_max=99999999999 lkmd.log_level=loud lkmd.coldplug=maybe lkmd.log_level "
                + "lkmd.colour=yes");
        assertEquals(OptionalInt.of(4), k.childrenMax());
        assertEquals(Optional.empty(), k.logLevel());
        assertEquals(Optional.empty(), k.coldplug());
        List<String> w = k.warnings().stream().map(Object::toString).toList();
        assertEquals(7, w.size(), w.toString());
        assertEquals("/proc/cmdline: invalid value \"-1\" for lkmd.children_max (expected a number of workers from 1 "
                + "to 2048, or 0 for automatic), ignoring", w.get(0));
        assertTrue(w.get(3).startsWith("/proc/cmdline: invalid value \"loud\" for lkmd.log_level"), w.get(3));
        assertTrue(w.get(4).contains("\"maybe\" for lkmd.coldplug (expected trigger, scan or off)"), w.get(4));
        assertEquals("/proc/cmdline: \"lkmd.log_level\" needs a value (lkmd.log_level=...), ignoring", w.get(5));
        assertEquals("/proc/cmdline: unknown lkmd kernel command line option \"lkmd.colour\", ignoring", w.get(6));
    }

    @Test
    void anUnclosedQuoteDropsTheWordAndOnlyTheFirstLineCounts() {
        KernelCmdlineKnobs k = parse("lkmd.coldplug=scan \"lkmd.children_max=2\nlkmd.log_level=debug");
        assertEquals(Optional.of(DaemonConfig.ColdplugMode.SCAN), k.coldplug());
        assertEquals(OptionalInt.empty(), k.childrenMax());
        assertEquals(Optional.empty(), k.logLevel());
    }
}
