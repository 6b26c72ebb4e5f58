package org.lkmd.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private static Set<String> allVerbs() {
        return Main.VERBS.stream().map(v -> v.getAnnotation(Command.class).name()).collect(Collectors.toSet());
    }

    @Test
    void aCommandLineStartingWithAVerbBuildsThatVerbAlone() {
        assertEquals(Set.of("modprobe"), Main.commandLine(new Main(), "modprobe").getSubcommands().keySet());
        assertEquals(Set.of("static-nodes"), Main.commandLine(new Main(), "static-nodes").getSubcommands().keySet());
        // global options first, a mistyped verb, no verb: every verb, so picocli parses and reports as always
        for (String first : new String[] {"--root", "modprob", "--help", null}) {
            assertEquals(allVerbs(), Main.commandLine(new Main(), first).getSubcommands().keySet(), first);
        }
        assertEquals(19, allVerbs().size());
    }

    @Test
    void helpListsEveryVerbAndAMistypedVerbIsNamedAsBefore() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext ctx = new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), (r, rel) -> null, Map.of());
        assertEquals(0, Main.run(ctx, "--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String verb : allVerbs()) {
            assertTrue(help.contains("  " + verb + " ") || help.contains("  " + verb + "\n"), verb + " not in:\n" + help);
        }
        assertEquals(1, Main.run(ctx, "modprob", "x"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("modprob"), err.toString(StandardCharsets.UTF_8));
    }
}
