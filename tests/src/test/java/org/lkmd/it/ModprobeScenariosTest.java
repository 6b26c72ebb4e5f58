package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * modprobe.d scenarios written by the test, run through kmod's modprobe ({@code -C DIR}) and
 * lkmd's on the real module tree: stdout, exit code and modprobe's own messages must be the same.
 * Config diagnostics are compared by count only (kmod prefixes them with its source location).
 */
class ModprobeScenariosTest {
    @TempDir
    static Path tmp;
    static Path root;
    static String rel;
    static String kmod;

    @BeforeAll
    static void setUp() throws IOException {
        rel = RealTree.release();
        kmod = RealTree.kmodTool("modprobe");
        root = FakeRoots.hostLike(tmp.resolve("root"));
    }

    /** A config (file name to text), an optional kernel command line, and the command lines to try. */
    record Scenario(String name, Map<String, String> files, String cmdline, List<List<String>> runs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Scenario s(String name, String conf, String... runs) {
        return new Scenario(name, Map.of("test.conf", conf), null,
                Stream.of(runs).map(r -> List.of(r.split(" "))).toList());
    }

    static Stream<Scenario> scenarios() {
        return Stream.of(
                s("config alias overrides modules.alias and names",
                        "alias snd-card-0 snd-hda-intel\nalias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000\n",
                        "--show-depends snd-card-0", "--show-depends pci:v00008086d000010D3sv0sd0bc02sc00i00",
                        "-R snd-card-0"),
                s("config alias glob matching several lines",
                        "alias foo* crc16\nalias fo? mbcache\nalias bar-[0-9] crc-itu-t\n",
                        "--show-depends foo", "--show-depends foobar", "--show-depends bar-7", "-R foo"),
                s("options by name and by alias, plus extra options",
                        "options snd-hda-intel model=x\noptions my-alias y=1\nalias my-alias snd-hda-intel\n"
                                + "options\tsnd_hda_intel  z=2\t w=3\n",
                        "--show-depends my-alias", "--show-depends snd-hda-intel extra=1 more=2",
                        "--show-depends snd_hda_intel"),
                s("install hook runs instead of the load, with its options",
                        "install crc16 /bin/echo hook $MODPROBE_MODULE $CMDLINE_OPTS\noptions crc16 a=1\n",
                        "--show-depends crc16 b=2", "crc16 b=2"),
                s("failing install hook reads like kmod", "install crc16 /bin/false\n", "crc16"),
                s("install line for a name no module has",
                        "install fake-thing /bin/echo fake $MODPROBE_MODULE\n", "fake-thing",
                        "--show-depends fake-thing", "-R fake-thing"),
                s("-i ignores the install hook", "install crc16 /bin/echo never\n", "-i --show-depends crc16",
                        "-i -n -v crc16"),
                s("a module with softdeps ignores its install hook",
                        "install crc16 /bin/echo never\nsoftdep crc16 pre: mbcache\n", "--show-depends crc16"),
                s("blacklist applies to aliases, not names, unless -b",
                        "blacklist e1000e\nblacklist crc16\n",
                        "--show-depends pci:v00008086d000010D3sv0sd0bc02sc00i00", "--show-depends e1000e",
                        "-b --show-depends e1000e", "--show-depends symbol:crc16", "-b --show-depends crc16",
                        "--show-depends ext4"),
                s("every target of an alias blacklisted",
                        "alias foo crc16\nblacklist crc16\nblacklist e1000e\n", "foo", "-q foo", "-a foo nonexist",
                        "-n -v foo", "pci:v00008086d000010D3sv0sd0bc02sc00i00",
                        "-q pci:v00008086d000010D3sv0sd0bc02sc00i00", "-r foo"),
                s("softdep pre and post expand through lookups",
                        "softdep crc16 pre: mbcache post: jbd2 crypto-crc32c\n", "--show-depends crc16",
                        "--show-depends ext4"),
                s("softdep loop loads each module once",
                        "softdep crc16 pre: crc-itu-t\nsoftdep crc-itu-t pre: crc16\n",
                        "--show-depends crc16", "--show-depends crc-itu-t"),
                s("only the first matching softdep counts, globs included",
                        "softdep crc* pre: mbcache\nsoftdep crc16 post: jbd2\n", "--show-depends crc16",
                        "--show-depends crc-itu-t"),
                s("softdep on a missing module is ignored",
                        "softdep crc16 pre: no-such-module post: also[missing\n", "--show-depends crc16"),
                s("builtin modules and aliases", "",
                        "--show-depends 8250", "-n -v 8250", "--first-time 8250", "-R 8250"),
                s("unknown names, quiet and -a", "",
                        "nonexist", "-q nonexist", "-a -n -v nonexist crc16 also-missing",
                        "--show-depends bad]name", "-n"),
                s("duplicates from overlapping alias patterns",
                        "", "-R pci:v00008086d00002922sv0sd0bc01sc06i01",
                        "--show-depends pci:v00008086d00002922sv0sd0bc01sc06i01"),
                s("bad lines are skipped and the rest applies",
                        "alais foo bar\noptions crc16\n  # indented\noptions crc16 good=1\nsoftdep crc16\n",
                        "--show-depends crc16"),
                s("--dry-run verbose prints what would load", "options mbcache x=1\n", "-n -v ext4",
                        "-n ext4", "-v -n -a crc16 mbcache"),
                new Scenario("kernel command line options and blacklist",
                        Map.of("test.conf", "alias foo-alias crc16\noptions crc16 fromconf=1\n"),
                        "quiet crc16.fromcmdline=2 \"crc-itu-t.q=a b\" modprobe.blacklist=mbcache,jbd2\n",
                        List.of(List.of("--show-depends", "crc16"), List.of("--show-depends", "crc-itu-t"),
                                List.of("--show-depends", "foo-alias"), List.of("-c"))),
                new Scenario("files sorted by name across -C paths, first name wins",
                        Map.of("b.conf", "options crc16 b=1\n", "a.conf", "options crc16 a=1\n",
                                "sub/a.conf", "options crc16 shadowed=1\n", "c.alias", "options crc16 c=1\n",
                                ".hidden.conf", "options crc16 hidden=1\n", "d.txt", "options crc16 txt=1\n"),
                        null, List.of(List.of("--show-depends", "crc16"))),
                s("-r of modules that are not loaded, builtin or unknown", "",
                        "-r crc16", "-r --first-time crc16", "-r 8250", "-r nonexist", "-r -a nonexist crc16",
                        "-r -n -v crc16"),
                s("remove hook runs instead of the removal", "remove crc16 /bin/echo removing $MODPROBE_MODULE\n"
                        + "remove mbcache /bin/false\n", "-r crc16", "-r -v crc16", "-r mbcache", "-r -i crc16"),
                s("modprobe -c dumps config and indexes",
                        "alias my-thing snd-hda-intel\noptions snd-hda-intel model=foo \\\n   index=1\n"
                                + "softdep snd_hda_intel pre: mbcache\ninstall dummy /bin/echo hi $CMDLINE_OPTS\n"
                                + "remove dummy /bin/true\nblacklist crc16\n", "-c")
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void behavesLikeKmod(Scenario sc, @TempDir Path dir) throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        for (Map.Entry<String, String> f : sc.files().entrySet()) {
            Path p = conf.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        List<String> configArgs = sc.files().keySet().stream().anyMatch(k -> k.contains("/"))
                ? List.of("-C", conf.toString(), "-C", conf.resolve("sub").toString())
                : List.of("-C", conf.toString());
        Path scRoot = root;
        Path cmdlineFile = null;
        if (sc.cmdline() != null) {
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare (util-linux) needed");
            scRoot = dir.resolve("root");
            FakeRoots.hostLike(scRoot);
            cmdlineFile = scRoot.resolve("proc/cmdline");
            Files.writeString(cmdlineFile, sc.cmdline());
        }
        for (List<String> run : sc.runs()) {
            List<String> k = new ArrayList<>();
            if (cmdlineFile != null) {
                k.addAll(List.of("/usr/bin/unshare", "-m", "/bin/sh", "-c",
                        "mount --bind \"$0\" /proc/cmdline && exec \"$@\"", cmdlineFile.toString()));
            }
            k.add(kmod);
            k.addAll(List.of("-d", scRoot.toString(), "-S", rel));
            k.addAll(configArgs);
            k.addAll(run);
            Tool kt = Tool.exec(k);
            List<String> l = new ArrayList<>(List.of("modprobe", "--root", scRoot.toString(), "-d", scRoot.toString(),
                    "-S", rel));
            l.addAll(configArgs);
            l.addAll(run);
            Tool lt = Tool.lkmd(l.toArray(new String[0]));
            String what = sc.name() + ": modprobe " + String.join(" ", run);
            assertEquals(kt.out(), lt.out(), what + " (stdout)");
            assertEquals(kt.rc(), lt.rc(), what + " (exit code)");
            assertEquals(messages(kt.err()), messages(lt.err()), what + " (messages)");
            assertEquals(configProblems(kt.err()), configProblems(lt.err()), what + " (config diagnostics)");
        }
    }

    /** modprobe's own messages, without config diagnostics (whose prefixes differ by design). */
    private static String messages(String err) {
        return err.lines().filter(l -> l.startsWith("modprobe: ") && !isConfigProblem(l))
                .map(l -> l.replaceAll("^modprobe: (\\w+): \\.\\./libkmod/\\S+ \\w+\\(\\) ", "modprobe: $1: "))
                .collect(Collectors.joining("\n"));
    }

    private static long configProblems(String err) {
        return err.lines().filter(ModprobeScenariosTest::isConfigProblem).count();
    }

    private static boolean isConfigProblem(String l) {
        return l.contains("kmod_config_parse") || l.matches("modprobe: ERROR: /.*:[0-9]+: .*");
    }
}
