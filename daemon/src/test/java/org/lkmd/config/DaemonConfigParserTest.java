package org.lkmd.config;

import com.moandjiezana.toml.Toml;
import com.moandjiezana.toml.TomlTables;
import org.lkmd.base.ParseResult;

import org.lkmd.base.Diagnostic;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonConfigParserTest {

    @Test
    void shippedConfigIsTheDefaults() throws IOException {
        Path shipped = Path.of(System.getProperty("lkmd.repo", ".."), "conf/lkmd.toml");
        ParseResult<DaemonConfig> r = DaemonConfigParser.parse("lkmd.toml", Files.readString(shipped));
        assertEquals(java.util.List.of(), r.diagnostics());
        assertEquals(DaemonConfig.defaults(), r.value().orElseThrow());
    }

    @Test
    void valuesAreRead() {
        DaemonConfig c = DaemonConfigParser.parse("x", "[coldplug]\nmode = \"scan\"\n[events]\nworkers = 3\n"
                + "timeout = 5\n[loader]\nhook_timeout = 7\n").value().orElseThrow();
        assertEquals(DaemonConfig.ColdplugMode.SCAN, c.coldplug());
        assertEquals(3, c.effectiveWorkers());
        assertEquals(Duration.ofSeconds(5), c.eventTimeout());
        assertEquals(Duration.ofSeconds(7), c.hookTimeout());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'[coldplug]\nmode = \"sometimes\"\n'|x:2: coldplug.mode must be \"trigger\", \"scan\" or \"off\", not \"sometimes\"",
            "'[events]\nworkers = \"four\"\n'|x:2: events.workers must be a whole number",
            "'[events]\n\nqueue_capacity = 1\n'|x:3: events.queue_capacity must be between 16 and 1048576, not 1",
            "'[log]\nlevel = \"loud\"\n'|x:2: log.level must be error, warn, info, debug or trace, not \"loud\"",
            "'[events]\nworkers = = 3\n'|x:2: invalid TOML: Invalid value on line 2: workers = = 3",
            "'# no table\n\ncoldplug = \"scan\"\n'|x:3: 'coldplug' must be a table: [coldplug] on a line of its own, its settings below it",
    })
    void badValuesMakeTheFileUnusableWithFileAndLine(String text, String expected) {
        ParseResult<DaemonConfig> r = DaemonConfigParser.parse("x", text);
        assertTrue(r.value().isEmpty());
        assertEquals(expected, r.diagnostics().get(0).toString());
    }

    @Test
    void unknownKeysAreWarningsAndIgnored() {
        ParseResult<DaemonConfig> r = DaemonConfigParser.parse("x", "[events]\nwokers = 3\n[colplug]\nmode = \"off\"\n");
        assertEquals(DaemonConfig.defaults(), r.value().orElseThrow());
        assertEquals(java.util.List.of("x:2: unknown setting 'events.wokers', ignored",
                "x:3: unknown setting 'colplug', ignored"),
                r.diagnostics().stream().map(Diagnostic::toString).sorted().toList());
    }

    @Test
    void reloadAndAutocleanSectionsAreRead() {
        DaemonConfig c = DaemonConfigParser.parse("x", "[reload]\nwatch = false\nrebuild_index = false\n"
                + "debounce_ms = 50\n[autoclean]\nenabled = true\nidle_minutes = 5\nkeep = [\"snd-pcm\", \"loop\"]\n")
                .value().orElseThrow();
        assertEquals(new DaemonConfig.Reload(false, false, Duration.ofMillis(50)), c.reload());
        assertEquals(new DaemonConfig.Autoclean(true, Duration.ofMinutes(5), java.util.List.of("snd_pcm", "loop")),
                c.autoclean());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'[reload]\nwatch = \"yes\"\n'|x:2: reload.watch must be true or false",
            "'[autoclean]\nidle_minutes = -1\n'|x:2: autoclean.idle_minutes must be between 0 and 525600, not -1",
            "'[autoclean]\n\nkeep = [\"a b\"]\n'|x:3: autoclean.keep must list module names, not a b",
    })
    void badReloadAndAutocleanValuesAreErrors(String text, String expected) {
        ParseResult<DaemonConfig> r = DaemonConfigParser.parse("x", text);
        assertTrue(r.value().isEmpty());
        assertEquals(expected, r.diagnostics().get(0).toString());
    }

    @Test
    void tomlTablesGiveWhatToml4jsTomlGives() {
        for (String text : List.of("", "[coldplug]\nmode = \"scan\"\n", "top = 1\n[a]\nb = [\"x\", \"y\"]\nc = true\n"
                + "d = -7\n[a.e]\nf = 'lit'\n[[g]]\nh = 1\n[[g]]\nh = 2\n", "x = { y = 1, z = \"q\" }\n")) {
            assertEquals(new Toml().read(text).toMap(), TomlTables.parse(text), text);
        }
        String bad = "[events]\nworkers = = 3\n";
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TomlTables.parse(bad));
        assertEquals(assertThrows(IllegalStateException.class, () -> new Toml().read(bad)).getMessage(), e.getMessage());
    }

    /** Parses one file and exits: run in a JVM of its own, which says what classes it loaded. */
    static final class ParseOnce {
        public static void main(String[] args) {
            System.exit(DaemonConfigParser.parse("x", "[coldplug]\nmode = \"scan\"\n").value().isPresent() ? 0 : 1);
        }
    }

    @Test
    void readingTheConfigurationLoadsNoJsonLibrary() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:off", "-verbose:class", "-cp", System.getProperty("java.class.path"), ParseOnce.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("com.moandjiezana.toml.TomlParser"), "the parser did not run");
        List<String> json = out.lines().filter(l -> l.contains("com.google.gson")).toList();
        assertTrue(json.isEmpty(), json.size() + " classes of gson loaded, the first: " + (json.isEmpty() ? "" : json.get(0)));
    }
}
