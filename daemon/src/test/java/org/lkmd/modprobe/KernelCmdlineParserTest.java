package org.lkmd.modprobe;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Cases checked against kmod 30's modprobe -c with /proc/cmdline bind-mounted over. */
class KernelCmdlineParserTest {

    private static String parse(String cmdline) {
        List<ConfigEntry> entries = new ArrayList<>();
        KernelCmdlineParser.parse("/proc/cmdline", cmdline, entries);
        ModprobeConfig c = new ModprobeConfig(entries);
        StringBuilder sb = new StringBuilder();
        c.dump(sb);
        return sb.toString().lines().collect(Collectors.joining("|"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "a.b=1;                                   options a b=1",
            "quiet console=ttyS0;                     ''",
            "'\"snd.x=a b\"';                         options snd x=\"a b\"",
            "'snd-hda-intel.model=\"c d\"';           options snd_hda_intel model=\"c d\"",
            "foo.bar.baz=2;                           ''",
            "mod.flag;                                options mod flag",
            "modprobe.blacklist=crc16,mbcache;        blacklist crc16|blacklist mbcache",
            "x.y=1.2;                                 options x y=1.2",
            "=z;                                      ''",
            ".q=1;                                    options  q=1",
            "'m.p=\"unterminated';                    ''",
            "'\"a.b=c\"';                             options a b=\"c\"",
            "'g.h=i\"j k\"l';                         options g h=i\"j k\"l",
            "'\"m.n\"=o';                             ''",
            "'p.\"q=r\"';                             ''",
            "s.t=;                                    options s t=",
            "u.v==;                                   options u v==",
            "'a.b=1 -- x.y=2';                        options a b=1|options x y=2",
            "'a.b=1\nc.d=2';                          options a b=1",
    })
    void kmodReadsTheCommandLineLikeThis(String cmdline, String expected) {
        assertEquals(expected, parse(cmdline.replace("\\n", "\n")));
    }
}
