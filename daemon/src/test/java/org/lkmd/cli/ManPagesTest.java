package org.lkmd.cli;

import org.junit.jupiter.api.Test;
import org.lkmd.config.DaemonConfigParser;
import org.lkmd.rules.Match;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Keeps the man pages in {@code daemon/src/man} from rotting silently: every verb picocli knows has
 * its own {@code .SS "lkmd VERB"} section in lkmd(8); every option of the daemon and the admin
 * verbs has a {@code .TP} entry in its verb's section (the kmod-compatible verbs refer to kmod's
 * pages for their flags); every lkmd.toml key the parser accepts has a {@code .TP} entry under its
 * {@code .SS [table]} in lkmd.toml(5); every rule match key has a {@code .TP} entry in
 * lkmd.rules(7). Reads the troff sources only; no external tool.
 */
class ManPagesTest {
    /** Documented by reference to kmod's own pages: their flags are not listed one by one. */
    private static final Set<String> KMOD_VERBS = Set.of("modprobe", "insmod", "rmmod", "lsmod", "modinfo", "depmod");

    private static Path page(String name) {
        return Path.of(System.getProperty("lkmd.repo", ".."), "daemon/src/man", name);
    }

    /** The page's lines with troff's hyphen, quote, font and zero-width escapes undone. */
    static List<String> lines(Path page) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(page, StandardCharsets.UTF_8)) {
            out.add(l.replace("\\-", "-").replace("\\(dq", "\"").replace("\\&", "").replace("\\e", "\\")
                    .replaceAll("\\\\f[BIRP]", "").replace("\\c", ""));
        }
        return out;
    }

    /** A line's text without its macro ({@code .B}, {@code .BR}, ...) and quotes. */
    private static String text(String line) {
        String t = line.startsWith(".") ? line.replaceFirst("^\\.[A-Za-z]+\\s*", "") : line;
        return t.replace("\"", "").strip();
    }

    /** The lines of each {@code .SS} section, by heading (quotes removed), up to the next .SS or .SH. */
    static Map<String, List<String>> subsections(List<String> lines) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        List<String> current = null;
        for (String l : lines) {
            if (l.startsWith(".SS ")) {
                current = new ArrayList<>();
                out.put(text(l), current);
            } else if (l.startsWith(".SH ")) {
                current = null;
            } else if (current != null) {
                current.add(l);
            }
        }
        return out;
    }

    /** The text of the line after each {@code .TP} (an item's tag). */
    static List<String> tags(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).equals(".TP")) {
                out.add(text(lines.get(i + 1)));
            }
        }
        return out;
    }

    private static boolean mentions(List<String> lines, String word) {
        Pattern p = Pattern.compile("(?<![\\w-])" + Pattern.quote(word) + "(?![\\w-])");
        return lines.stream().anyMatch(l -> p.matcher(l).find());
    }

    private static CommandLine cli() {
        return Main.commandLine(new Main(), null);
    }

    @Test
    void everyVerbHasItsSectionInLkmd8() throws IOException {
        Set<String> sections = subsections(lines(page("lkmd.8"))).keySet();
        Set<String> missing = new TreeSet<>();
        for (String verb : cli().getSubcommands().keySet()) {
            if (!sections.contains("lkmd " + verb)) {
                missing.add(verb);
            }
        }
        assertEquals(Set.of(), missing, "verbs without a .SS \"lkmd VERB\" section in lkmd.8");
    }

    @Test
    void everyOptionOfTheDaemonAndAdminVerbsIsInItsSection() throws IOException {
        Map<String, List<String>> sections = subsections(lines(page("lkmd.8")));
        Set<String> global = new TreeSet<>();
        cli().getCommandSpec().options().forEach(o -> global.addAll(List.of(o.names())));
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, CommandLine> v : cli().getSubcommands().entrySet()) {
            if (KMOD_VERBS.contains(v.getKey())) {
                continue;
            }
            CommandSpec spec = v.getValue().getCommandSpec();
            List<String> section = sections.getOrDefault("lkmd " + v.getKey(), List.of());
            for (OptionSpec o : spec.options()) {
                for (String name : o.names()) {
                    if (!o.hidden() && !global.contains(name) && !mentions(tags(section), name)) {
                        missing.add(v.getKey() + " " + name);
                    }
                }
            }
        }
        assertEquals(Set.of(), missing, "options without a .TP entry in their verb's section of lkmd.8");
    }

    @Test
    void globalOptionsAreDocumented() throws IOException {
        List<String> all = lines(page("lkmd.8"));
        int from = all.indexOf(".SH GLOBAL OPTIONS");
        List<String> section = new ArrayList<>();
        for (int i = from + 1; from >= 0 && i < all.size() && !all.get(i).startsWith(".SH "); i++) {
            section.add(all.get(i));
        }
        Set<String> missing = new TreeSet<>();
        for (OptionSpec o : cli().getCommandSpec().options()) {
            for (String name : o.names()) {
                if (!mentions(tags(section), name)) {
                    missing.add(name);
                }
            }
        }
        assertEquals(Set.of(), missing, "options of lkmd itself not in lkmd.8's GLOBAL OPTIONS");
    }

    @Test
    void everyConfigKeyIsDocumentedUnderItsTable() throws Exception {
        Field f = DaemonConfigParser.class.getDeclaredField("KEYS");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Set<String>> keys = (Map<String, Set<String>>) f.get(null);
        Map<String, List<String>> sections = subsections(lines(page("lkmd.toml.5")));
        Set<String> missing = new TreeSet<>();
        keys.forEach((table, names) -> {
            List<String> section = sections.get("[" + table + "]");
            for (String key : names) {
                boolean found = section != null && tags(section).stream()
                        .anyMatch(t -> t.equals(key) || t.startsWith(key + " ") || t.startsWith(key + "="));
                if (!found) {
                    missing.add(table + "." + key);
                }
            }
        });
        assertEquals(Set.of(), missing, "lkmd.toml keys without a .TP entry under their .SS [table] in lkmd.toml.5");
    }

    @Test
    void everyRuleMatchKeyIsDocumented() throws IOException {
        List<String> tags = tags(lines(page("lkmd.rules.7")));
        Set<String> missing = new TreeSet<>();
        for (Match.Key k : Match.Key.values()) {
            Pattern p = Pattern.compile("(?<![A-Z_])" + k.name() + "(?![A-Z_])");
            if (tags.stream().noneMatch(t -> p.matcher(t).find())) {
                missing.add(k.name());
            }
        }
        assertEquals(Set.of(), missing, "rule match keys without a .TP entry in lkmd.rules.7");
    }
}
