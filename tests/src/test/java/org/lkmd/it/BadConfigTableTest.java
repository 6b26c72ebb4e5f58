package org.lkmd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;
import org.lkmd.rules.RulesLoader;
import org.slf4j.LoggerFactory;

/**
 * A table of bad inputs, each tried at daemon start and at reload (the daemon in-process over a
 * small fake root, simulated kernel, coldplug off): what happens, and what the log says. Invalid
 * lkmd.toml stops the start (exit 2, file:line) and is refused at reload; bad lines in rules and
 * modprobe.d files are reported and skipped; a missing module index lets the daemon start (loads
 * say why) and is refused at reload; rules that cannot be read are refused at reload.
 *
 * <p>The table (case, start fate, reload fate) is written to {@code target/bad-config-table.md}.
 */
class BadConfigTableTest {
    private static final String REL = "6.1.0-test";
    private static final String GOOD_TOML = "[coldplug]\nmode = \"off\"\n\n[events]\nworkers = 2\n";
    private static final String RULES = "etc/lkmd/rules.d/80-lkmd-drivers.rules";
    private static final String EXTRA_RULES = "etc/lkmd/rules.d/50-bad.rules";
    private static final String GOOD_RULE = "ACTION==\"add\", ENV{MODALIAS}==\"?*\", RUN{builtin}+=\"kmod load\"\n";

    enum Start { EXITS_2, RUNS }

    enum Reload { KEPT, SWAPPED }

    @FunctionalInterface
    interface Breakage {
        void apply(Path root) throws IOException;
    }

    /**
     * @param rules how many more rules than the good root's the running set has after the start /
     *              reload (-1: no check): a bad line is skipped, the good line after it applies
     * @param says  a text the logged diagnostics must contain
     */
    record Case(String name, Breakage breakage, Start start, Reload reload, int rules, String says) {
    }

    static final List<Case> CASES = List.of(
            new Case("lkmd.toml syntax error", r -> write(r, "etc/lkmd/lkmd.toml", GOOD_TOML + "[log\nlevel = \"info\"\n"),
                    Start.EXITS_2, Reload.KEPT, -1, "/etc/lkmd/lkmd.toml:"),
            new Case("lkmd.toml wrong type", r -> write(r, "etc/lkmd/lkmd.toml", GOOD_TOML.replace("workers = 2", "workers = \"two\"")),
                    Start.EXITS_2, Reload.KEPT, -1, "/etc/lkmd/lkmd.toml:5: events.workers must be a whole number"),
            new Case("lkmd.toml out of range", r -> write(r, "etc/lkmd/lkmd.toml", GOOD_TOML + "\n[netlink]\nreceive_buffer = 1\n"),
                    Start.EXITS_2, Reload.KEPT, -1, "/etc/lkmd/lkmd.toml:8: netlink.receive_buffer must be between"),
            new Case("lkmd.toml unknown key", r -> write(r, "etc/lkmd/lkmd.toml", GOOD_TOML + "colour = \"blue\"\n"),
                    Start.RUNS, Reload.SWAPPED, -1, "unknown setting 'events.colour', ignored"),
            new Case("rules: bad operator", r -> write(r, EXTRA_RULES, "KERNEL=<\"x\", RUN{builtin}+=\"kmod load x\"\n" + GOOD_RULE),
                    Start.RUNS, Reload.SWAPPED, 1, "/etc/lkmd/rules.d/50-bad.rules:1:"),
            new Case("rules: unknown key", r -> write(r, EXTRA_RULES, "FROBNICATE==\"x\", RUN{builtin}+=\"kmod load x\"\n" + GOOD_RULE),
                    Start.RUNS, Reload.SWAPPED, 1, "/etc/lkmd/rules.d/50-bad.rules:1:"),
            new Case("rules: unterminated quote", r -> write(r, EXTRA_RULES, "KERNEL==\"x, RUN{builtin}+=\"kmod load x\n" + GOOD_RULE),
                    Start.RUNS, Reload.SWAPPED, 1, "/etc/lkmd/rules.d/50-bad.rules:1:"),
            new Case("rules: GOTO without LABEL", r -> write(r, EXTRA_RULES, "KERNEL==\"x\", GOTO=\"nowhere\"\n" + GOOD_RULE),
                    Start.RUNS, Reload.SWAPPED, -1, "/etc/lkmd/rules.d/50-bad.rules:1:"),
            new Case("modprobe.d: bad lines", r -> write(r, "etc/modprobe.d/bad.conf",
                    "alais snd-card-0 snd_hda_intel\noptions\nblacklist pcspkr\n"),
                    Start.RUNS, Reload.SWAPPED, -1, "/etc/modprobe.d/bad.conf:1:"),
            new Case("modules.dep missing", r -> Files.delete(r.resolve("lib/modules/" + REL + "/modules.dep")),
                    Start.RUNS, Reload.KEPT, -1, "lkmd depmod"),
            new Case("rules file unreadable (symlink loop)", r -> loop(r.resolve("etc/lkmd/rules.d/60-loop.rules")),
                    Start.EXITS_2, Reload.KEPT, -1, "/etc/lkmd/rules.d/60-loop.rules: Failed to read rules file"),
            new Case("rules directory unreadable (symlink loop)", r -> {
                Path d = r.resolve("etc/lkmd/rules.d");
                try (var s = Files.list(d)) {
                    for (Path p : s.toList()) {
                        Files.delete(p);
                    }
                }
                Files.delete(d);
                loop(d);
            }, Start.EXITS_2, Reload.KEPT, -1, "/etc/lkmd/rules.d: Failed to list rules directory"));

    @TempDir
    static Path tmp;
    static ListAppender<ILoggingEvent> log;
    static List<String> table = new ArrayList<>();

    @BeforeAll
    static void captureLog() {
        assumeTrue("root".equals(System.getProperty("user.name")), "the daemon opens a kobject-uevent socket: needs root");
        Logger lkmd = (Logger) LoggerFactory.getLogger("org.lkmd");
        log = new ListAppender<>();
        log.start();
        lkmd.addAppender(log);
    }

    @AfterAll
    static void writeTable() throws IOException {
        if (log == null) {
            return;
        }
        ((Logger) LoggerFactory.getLogger("org.lkmd")).detachAppender(log);
        List<String> out = new ArrayList<>();
        out.add("| case | at start | at reload |");
        out.add("|---|---|---|");
        out.addAll(table);
        Path file = Path.of(System.getProperty("lkmd.repo", "..")).resolve("tests/target/bad-config-table.md");
        Files.createDirectories(file.getParent());
        Files.write(file, out);
        out.forEach(System.out::println);
    }

    @Test
    void everyBadInputHasItsFateAtStartAndAtReload() throws Exception {
        List<String> wrong = new ArrayList<>();
        int n = 0;
        for (Case c : CASES) {
            n++;
            String start = atStart(c, tmp.resolve("start-" + n), wrong);
            String reload = atReload(c, tmp.resolve("reload-" + n), wrong);
            table.add("| " + c.name + " | " + start + " | " + reload + " |");
        }
        assertEquals(List.of(), wrong);
    }

    private static String atStart(Case c, Path dir, List<String> wrong) throws Exception {
        Path root = goodRoot(dir);
        int goodRules = RulesLoader.load(Root.of(root)).value().orElseThrow().size();
        c.breakage.apply(root);
        log.list.clear();
        SimulatingDaemon d = SimulatingDaemon.over(root).release(REL).startOrExit();
        String said = said(c.says);
        if (d.exit().isPresent()) {
            check(wrong, c, "start", c.start == Start.EXITS_2 && d.exit().get() == 2, "exit " + d.exit().get());
            check(wrong, c, "start log", !said.isEmpty(), "log lacks '" + c.says + "'");
            return "exit " + d.exit().get() + ": `" + said + "`";
        }
        int rules = d.daemon.snapshot().rules().size();
        assertEquals(0, d.stop());
        check(wrong, c, "start", c.start == Start.RUNS, "daemon ran");
        check(wrong, c, "start rules", c.rules < 0 || goodRules + c.rules == rules, rules + " rules, good root has " + goodRules);
        check(wrong, c, "start log", !said.isEmpty(), "log lacks '" + c.says + "'");
        return "runs, " + rules + " rules: `" + said + "`";
    }

    private static String atReload(Case c, Path dir, List<String> wrong) throws Exception {
        Path root = goodRoot(dir);
        SimulatingDaemon d = SimulatingDaemon.over(root).release(REL).startOrExit();
        assertTrue(d.exit().isEmpty(), "the good root did not start");
        long gen = d.daemon.snapshot().generation();
        int goodRules = d.daemon.snapshot().rules().size();
        c.breakage.apply(root);
        log.list.clear();
        boolean swapped = d.daemon.reload();
        long genAfter = d.daemon.snapshot().generation();
        int rules = d.daemon.snapshot().rules().size();
        assertEquals(0, d.stop());
        String said = said(c.says);
        check(wrong, c, "reload", swapped == (c.reload == Reload.SWAPPED) && (genAfter > gen) == swapped,
                "swapped=" + swapped + ", generation " + gen + " -> " + genAfter);
        check(wrong, c, "reload log", !said.isEmpty(), "log lacks '" + c.says + "'");
        if (!swapped) {
            check(wrong, c, "reload rules", rules == goodRules, rules + " rules, had " + goodRules);
            return "kept generation " + gen + " (" + rules + " rules): `" + said + "`";
        }
        check(wrong, c, "reload rules", c.rules < 0 || goodRules + c.rules == rules, rules + " rules, had " + goodRules);
        return "swapped to generation " + genAfter + " (" + rules + " rules): `" + said + "`";
    }

    private static void check(List<String> wrong, Case c, String what, boolean ok, String detail) {
        if (!ok) {
            wrong.add(c.name + " / " + what + ": " + detail);
        }
    }

    /** The first logged line containing {@code text}, or "". */
    private static String said(String text) {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text))
                .findFirst().orElse("").replace("|", "\\|")
                .replaceAll(java.util.regex.Pattern.quote(tmp.toString()) + "/(start|reload)-[0-9]+", "ROOT");
    }

    /** lkmd.toml, the shipped rules plus one rule file, a modprobe.d file, a two-module text index. */
    static Path goodRoot(Path root) throws IOException {
        write(root, "etc/lkmd/lkmd.toml", GOOD_TOML);
        Path repo = Path.of(System.getProperty("lkmd.repo", ".."));
        write(root, RULES, Files.readString(repo.resolve("rules/80-lkmd-drivers.rules")));
        write(root, "etc/lkmd/rules.d/90-local.rules", GOOD_RULE);
        write(root, "etc/modprobe.d/local.conf", "options pcspkr debug=1\n");
        write(root, "lib/modules/" + REL + "/modules.dep",
                "kernel/drivers/input/misc/pcspkr.ko:\nkernel/drivers/char/hw_random/virtio-rng.ko:\n");
        write(root, "lib/modules/" + REL + "/modules.alias",
                "alias platform:pcspkr pcspkr\nalias virtio:d00000004v* virtio_rng\n");
        write(root, "proc/cmdline", "quiet\n");
        Files.createDirectories(root.resolve("sys/devices"));
        return root;
    }

    static void write(Path root, String rel, String text) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    static void loop(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, p.getFileName());
    }
}
