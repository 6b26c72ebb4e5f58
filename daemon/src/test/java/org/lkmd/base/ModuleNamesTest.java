package org.lkmd.base;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** kmod's spelling rules (libkmod's modname_normalize, path_to_modname, alias_normalize/underscores). */
class ModuleNamesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "snd-hda-intel|snd_hda_intel",
        "e1000e|e1000e",
        "already_underscored|already_underscored",
        "-lead-and-trail-|_lead_and_trail_",
        // modname_normalize stops at the first '.', so a file name given as a name loses its suffix
        "usbcore.ko|usbcore",
        "nf-conntrack.ko.xz|nf_conntrack",
        "a-b.c-d|a_b",
        "''|''",
    })
    void moduleNamesUseUnderscoresUpToTheFirstDot(String in, String expected) {
        assertEquals(expected, ModuleNames.normalizeName(in));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko|e1000e",
        "kernel/sound/pci/hda/snd-hda-intel.ko.xz|snd_hda_intel",
        "/x/y/a.b.ko|a",
        // only the basename counts: dashes in directories are not part of the name
        "/lib/modules/6.1.0-test/extra/my-mod.ko.zst|my_mod",
        "plain-name|plain_name",
    })
    void aPathsModuleNameIsItsBasenameNormalized(String path, String expected) {
        assertEquals(expected, ModuleNames.fromPath(path));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "char-major-10-1|char_major_10_1",
        "fs-vfat|fs_vfat",
        "symbol:foo-bar|symbol:foo_bar",
        "usb:v*p*d*dc*dsc*dp*ic*isc*ip*in*|usb:v*p*d*dc*dsc*dp*ic*isc*ip*in*",
        // inside brackets a '-' is a range and stays; outside, before or after them, it changes
        "pci:v[0-9]-x|pci:v[0-9]_x",
        "a-[b-c]-d|a_[b-c]_d",
        "[a-z]-[0-9]-x|[a-z]_[0-9]_x",
        "acpi*:PNP0C0[A-F]:*|acpi*:PNP0C0[A-F]:*",
        // libkmod's own test strings for alias_normalize: unchanged
        "test[abcfoobar]2211|test[abcfoobar]2211",
        "bar[aaa][bbbb]sss|bar[aaa][bbbb]sss",
        "kmod[p.b]lib|kmod[p.b]lib",
        "[az]1234[AZ]|[az]1234[AZ]",
        // a '[' inside brackets is a member; the first ']' closes them
        "x[[-]-y|x[[-]_y",
    })
    void aliasesChangeDashesOutsideBrackets(String in, String expected) {
        assertEquals(Optional.of(expected), ModuleNames.normalizeAlias(in));
    }

    /** The first ']' closes a bracket, so a second one (as in {@code [[-]]}) stands outside: invalid. */
    @ParameterizedTest
    @ValueSource(strings = {"a]b", "]", "a[bc", "[", "a[b]c]", "x-[y", "pci:v][", "x[[-]]-y"})
    void anUnmatchedBracketMakesAnAliasInvalid(String in) {
        assertEquals(Optional.empty(), ModuleNames.normalizeAlias(in));
    }
}
