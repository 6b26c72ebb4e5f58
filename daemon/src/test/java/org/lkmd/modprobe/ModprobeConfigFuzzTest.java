package org.lkmd.modprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.lkmd.base.Diagnostic;

/**
 * Any modprobe.d file and any kernel command line give entries and diagnostics, never an
 * exception; the entries then make a {@link ModprobeConfig} that answers queries. One target for
 * both parsers (Jazzer fuzzes one test per JVM): the same text goes through each. Bytes are
 * decoded as {@link ModprobeConfigLoader} decodes files. Seeds: Debian's /lib/modprobe.d and a
 * boot-loader style command line.
 */
class ModprobeConfigFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void parseEveryConfigText(byte[] file) {
        String text = new String(file, StandardCharsets.ISO_8859_1);
        List<ConfigEntry> entries = new ArrayList<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        ModprobeConfigParser.parse("fuzz.conf", text, entries, diagnostics);
        long lines = text.chars().filter(c -> c == '\n').count() + 1;
        for (Diagnostic d : diagnostics) {
            assertEquals("fuzz.conf", d.file(), d.toString());
            assertTrue(d.line() >= 0 && d.line() <= lines, "line out of range: " + d);
        }
        int fromFile = entries.size();

        KernelCmdlineParser.parse("cmdline", text, entries);
        for (ConfigEntry e : entries.subList(fromFile, entries.size())) {
            assertEquals("cmdline", e.file(), e.toString());
        }
        for (ConfigEntry e : entries.subList(0, fromFile)) {
            assertEquals("fuzz.conf", e.file(), e.toString());
            assertTrue(e.line() >= 1 && e.line() <= lines, "line out of range: " + e);
        }

        ModprobeConfig config = new ModprobeConfig(entries);
        for (ConfigEntry e : entries) {
            String name = e instanceof ConfigEntry.Alias a ? a.module()
                    : e instanceof ConfigEntry.Options o ? o.module()
                    : e instanceof ConfigEntry.Blacklist b ? b.module()
                    : "snd_hda_intel";
            config.aliasesMatching(name);
            config.options(name, null);
            config.install(name);
            config.remove(name);
            config.softdep(name);
            config.blacklisted(name);
        }
        config.dump(new StringBuilder());
    }
}
