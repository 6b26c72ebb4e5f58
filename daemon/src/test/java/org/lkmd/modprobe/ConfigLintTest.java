package org.lkmd.modprobe;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.Root;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd verify}'s modprobe.d lints as a table: files (parsed in the order given, as kmod
 * sorts them) and the warnings expected, each as {@code file:line} of the dead line plus the
 * {@code file:line} its message must name. Which lines are dead is kmod 30's behaviour
 * ({@code modprobe --show-depends} with and without the line, in {@code VerifyLintDifferentialTest}).
 */
class ConfigLintTest {
    private static final String E = "/etc/modprobe.d/";

    static Stream<Arguments> table() {
        return Stream.of(
                // install cancelled by a softdep of the same module
                Arguments.of("install and softdep of loop", files(E + "a.conf",
                        "install loop /bin/true\nsoftdep loop pre: cdrom\n"),
                        List.of(E + "a.conf:1 <- " + E + "a.conf:2")),
                Arguments.of("install in one file, softdep in another", files(
                        E + "a.conf", "softdep loop post: cdrom\n",
                        E + "b.conf", "# the admin's\ninstall loop /bin/false\n"),
                        List.of(E + "b.conf:2 <- " + E + "a.conf:1")),
                Arguments.of("a glob install line and a softdep for a module it matches", files(E + "a.conf",
                        "install snd_* /bin/false\nsoftdep snd_hda_intel pre: snd_hda_codec_hdmi\n"),
                        List.of(E + "a.conf:1 <- " + E + "a.conf:2")),
                Arguments.of("the softdep from the module directory", files(
                        E + "a.conf", "install crc32c_generic /bin/false\n",
                        "/lib/modules/6.1.0/modules.softdep", "softdep crc32c_generic pre: crc32c_intel\n"),
                        List.of(E + "a.conf:1 <- /lib/modules/6.1.0/modules.softdep:1")),
                Arguments.of("an empty softdep (no pre, no post) cancels nothing", files(E + "a.conf",
                        "install loop /bin/true\nsoftdep loop pre:\n"), List.of()),
                Arguments.of("install and softdep of different modules", files(E + "a.conf",
                        "install loop /bin/true\nsoftdep cdrom pre: loop\n"), List.of()),
                Arguments.of("the install line that counts is the first: a later one is not named", files(E + "a.conf",
                        "install loop /bin/true\ninstall loop /bin/false\nsoftdep loop pre: cdrom\n"),
                        List.of(E + "a.conf:1 <- " + E + "a.conf:3")),

                // softdep shadowed by an earlier one
                Arguments.of("two softdeps for one module", files(E + "a.conf",
                        "softdep loop pre: cdrom\nsoftdep loop pre: zram\n"),
                        List.of(E + "a.conf:2 <- " + E + "a.conf:1")),
                Arguments.of("a glob softdep before a named one", files(
                        E + "10-glob.conf", "softdep snd_* post: snd_seq\n",
                        E + "20-hda.conf", "softdep snd_hda_intel pre: snd_hda_codec_hdmi\n"),
                        List.of(E + "20-hda.conf:1 <- " + E + "10-glob.conf:1")),
                Arguments.of("modules.softdep sorts first and shadows the admin's line", files(
                        "/lib/modules/6.1.0/modules.softdep", "softdep crc32c_generic pre: crc32c_intel\n",
                        E + "zz.conf", "softdep crc32c_generic pre: crc32_pclmul\n"),
                        List.of(E + "zz.conf:1 <- /lib/modules/6.1.0/modules.softdep:1")),
                Arguments.of("an earlier line without modules still shadows", files(E + "a.conf",
                        "softdep loop gcm\nsoftdep loop pre: cdrom\n"),
                        List.of(E + "a.conf:2 <- " + E + "a.conf:1")),
                Arguments.of("a shadowed line without modules loses nothing (Debian's modules.softdep for cifs)", files(
                        "/lib/modules/6.1.0/modules.softdep", "softdep cifs gcm\nsoftdep cifs ccm\nsoftdep cifs aes\n"),
                        List.of()),
                Arguments.of("both lines from modules.softdep (Debian's ksmbd): the administrator wrote neither", files(
                        "/lib/modules/6.1.0/modules.softdep", "softdep ksmbd pre: crc32\nsoftdep ksmbd pre: gcm\n"),
                        List.of()),
                Arguments.of("a shipped file shadows modules.softdep (Debian's uhci_hcd): neither is the administrator's",
                        files("/usr/lib/modprobe.d/aliases.conf", "softdep uhci-hcd pre: ehci-hcd\n",
                                "/lib/modules/6.1.0/modules.softdep", "softdep uhci_hcd pre: ehci_pci\n"), List.of()),
                Arguments.of("an administrator's line after a shipped one is told", files(
                        "/usr/lib/modprobe.d/aliases.conf", "softdep uhci-hcd pre: ehci-hcd\n",
                        E + "usb.conf", "softdep uhci_hcd pre: ehci_pci\n"),
                        List.of(E + "usb.conf:1 <- /usr/lib/modprobe.d/aliases.conf:1")),
                Arguments.of("shipped install and shipped softdep: not told", files(
                        "/lib/modprobe.d/a.conf", "install loop /bin/true\n",
                        "/lib/modules/6.1.0/modules.softdep", "softdep loop pre: cdrom\n"), List.of()),
                Arguments.of("a glob after a named one: the glob still counts for other modules", files(E + "a.conf",
                        "softdep snd_hda_intel pre: snd_hda_codec_hdmi\nsoftdep snd_* post: snd_seq\n"), List.of()),
                Arguments.of("three of one module: the second and third named, each with the first", files(E + "a.conf",
                        "softdep loop pre: a\nsoftdep loop pre: b\nsoftdep loop pre: c\n"),
                        List.of(E + "a.conf:2 <- " + E + "a.conf:1", E + "a.conf:3 <- " + E + "a.conf:1")),

                // blacklist of a name a config alias sends elsewhere
                Arguments.of("blacklist foo, alias foo loop", files(E + "a.conf", "blacklist foo\nalias foo loop\n"),
                        List.of(E + "a.conf:1 <- " + E + "a.conf:2")),
                Arguments.of("a glob alias that matches the blacklisted name", files(
                        E + "a.conf", "alias snd-card-* snd_dummy\n",
                        E + "b.conf", "blacklist snd-card-0\n"),
                        List.of(E + "b.conf:1 <- " + E + "a.conf:1")),
                Arguments.of("the alias's target blacklisted too: nothing loads, no warning", files(E + "a.conf",
                        "blacklist foo\nblacklist loop\nalias foo loop\n"), List.of()),
                Arguments.of("blacklist loop, alias foo loop: the alias is blocked, as kmod blocks it", files(E + "a.conf",
                        "blacklist loop\nalias foo loop\n"), List.of()),
                Arguments.of("clean", files(E + "a.conf",
                        "blacklist pcspkr\nalias foo loop\noptions loop max_loop=8\nsoftdep loop pre: cdrom\n"
                                + "install zram /bin/true\n"), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void deadLinesAreNamedWithTheLineThatCancelsThem(String name, Map<String, String> files, List<String> want) {
        List<ConfigEntry> entries = new ArrayList<>();
        List<Diagnostic> parse = new ArrayList<>();
        files.forEach((file, text) -> ModprobeConfigParser.parse(file, text, entries, parse));
        assertEquals(List.of(), parse, "the table's files parse");
        List<Diagnostic> got = ConfigLint.lint(new ModprobeConfig(entries),
                ModprobeConfigLoader.shipped(Root.of(Path.of("/")), Path.of("/lib/modules/6.1.0")));
        assertEquals(want.size(), got.size(), "warnings: " + got);
        for (int i = 0; i < want.size(); i++) {
            String[] w = want.get(i).split(" <- ");
            Diagnostic d = got.get(i);
            assertEquals(w[0], d.file() + ":" + d.line(), d.toString());
            assertTrue(d.message().contains(" at " + w[1] + " "), d.toString());
            assertEquals(org.lkmd.base.Severity.WARNING, d.severity(), d.toString());
        }
    }

    private static Map<String, String> files(String... nameThenText) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenText.length; i += 2) {
            m.put(nameThenText[i], nameThenText[i + 1]);
        }
        return m;
    }
}
