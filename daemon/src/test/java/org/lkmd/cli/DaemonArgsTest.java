package org.lkmd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The daemon's own command-line reading agrees with picocli's, and leaves it everything else. */
class DaemonArgsTest {
    private static Main main() {
        Main m = new Main();
        PrintStream none = Main.nullStream();
        m.context = new CliContext(none, none, (r, rel) -> null, Map.of());
        return m;
    }

    /** What a daemon command line sets, as picocli reads it. */
    private static String picocli(String... args) {
        Main m = main();
        CommandLine cl = Main.commandLine(m, null);
        CommandLine.ParseResult pr = cl.parseArgs(args);
        DaemonCommand d = (DaemonCommand) pr.subcommand().commandSpec().userObject();
        return fields(m, d);
    }

    private static String fields(Main m, DaemonCommand d) {
        return "before[root=" + m.globals.root + " rel=" + m.globals.kernelRelease + "] after[root=" + d.globals.root
                + " rel=" + d.globals.kernelRelease + "] simulate=" + d.simulate + " coldplug=" + d.coldplug + " config=" + d.config
                + " main=" + (d.main == m);
    }

    @Test
    void plainCommandLinesReadAsPicocliReadsThem() {
        List<String[]> lines = List.of(
                new String[] {"daemon"},
                new String[] {"daemon", "--simulate"},
                new String[] {"daemon", "--coldplug", "scan"},
                new String[] {"daemon", "--config", "/etc/lkmd/lkmd.toml"},
                new String[] {"daemon", "--config=/etc/lkmd/other.toml", "--simulate"},
                new String[] {"daemon", "--coldplug=trigger", "--simulate"},
                new String[] {"--root", "/tmp/r", "daemon", "--simulate", "--coldplug", "off"},
                new String[] {"--root=/a", "--kernel-release", "6.1.0", "daemon", "--root", "/b"},
                new String[] {"daemon", "--kernel-release=5.10.0-1", "--root=/x/y"},
                new String[] {"--kernel-release", "1", "--root", "/", "daemon", "--kernel-release", "2", "--coldplug", "bogus"});
        for (String[] args : lines) {
            Main m = main();
            DaemonCommand d = DaemonArgs.parse(m, args);
            assertNotNull(d, Arrays.toString(args));
            assertEquals(picocli(args), fields(m, d), Arrays.toString(args));
        }
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        List<String[]> lines = List.of(
                new String[] {},
                new String[] {"status"},
                new String[] {"--help"},
                new String[] {"daemon", "--help"},
                new String[] {"daemon", "-h"},
                new String[] {"-V"},
                new String[] {"daemon", "--simulate", "--simulate"},
                new String[] {"--root", "/a", "--root", "/b", "daemon"},
                new String[] {"daemon", "--coldplug"},
                new String[] {"daemon", "--coldplug", "--simulate"},
                new String[] {"daemon", "--simulate=true"},
                new String[] {"daemon", "--frobnicate"},
                new String[] {"daemon", "extra"},
                new String[] {"daemon", "daemon"},
                new String[] {"daemon", "--", "--simulate"},
                new String[] {"--simulate", "daemon"},
                new String[] {"modprobe", "daemon"});
        for (String[] args : lines) {
            assertNull(DaemonArgs.parse(main(), args), Arrays.toString(args));
        }
    }

    /** A new daemon option must be taught to {@link DaemonArgs} too, or plain lines would refuse it. */
    @Test
    void knowsEveryOptionPicocliDeclares() {
        CommandLine cl = Main.commandLine(main(), null);
        assertEquals(names(cl.getCommandSpec(), Set.of("--help", "--version")), DaemonArgs.GLOBAL);
        assertEquals(names(cl.getSubcommands().get("daemon").getCommandSpec(), Set.of()), DaemonArgs.DAEMON);
    }

    private static Set<String> names(CommandSpec spec, Set<String> except) {
        Set<String> out = new HashSet<>();
        for (OptionSpec o : spec.options()) {
            String longest = o.longestName();
            if (!except.contains(longest)) {
                out.add(longest);
            }
        }
        return out;
    }

    @Test
    void picocliStillReportsWhatItIsLeft() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new CliContext(Main.nullStream(), new PrintStream(err, true), (r, rel) -> null, Map.of()),
                "daemon", "--frobnicate");
        assertEquals(1, rc);
        assertEquals("daemon: Unknown option: '--frobnicate'", err.toString().strip());
    }
}
