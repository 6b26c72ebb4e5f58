package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lkmd.index.BinIndexWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A {@code modules.alias.bin} written by hand (not by depmod), whose targets are spelled with dashes
 * ({@code alias bar crc-itu-t}): kmod's modprobe and lkmd's must resolve and print them the same way.
 * The rest of the index is the real tree's.
 *
 * <p>What kmod 30 does here (measured on Debian 12's modprobe): it does <em>not</em> normalise the
 * target. {@code -R bar} prints {@code crc-itu-t} as written, {@code --show-depends bar} prints
 * nothing and exits 0 (no module of that spelling is in {@code modules.dep.bin}), a load exits 1,
 * and a target spelled with underscores ({@code baz}) resolves fully. lkmd must do the same.
 */
class HandWrittenAliasIndexTest {
    @TempDir
    static Path tmp;
    static Path root;
    static String rel;
    static String kmod;
    static Path conf;

    @BeforeAll
    static void setUp() throws IOException {
        rel = RealTree.release();
        kmod = RealTree.kmodTool("modprobe");
        root = tmp.resolve("root");
        Path dir = root.resolve("lib/modules/" + rel);
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(RealTree.modulesDir())) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.equals("modules.alias.bin") && !n.equals("modules.alias")) {
                    Files.createSymbolicLink(dir.resolve(n), p);
                }
            }
        }
        BinIndexWriter w = new BinIndexWriter();
        w.insert("bar", "crc-itu-t", 0);
        w.insert("baz", "crc_itu_t", 1);
        w.insert("two", "crc-itu-t", 2);
        w.insert("two", "mb-cache", 3);
        w.insert("dash*", "snd-hda-intel", 4);
        Files.write(dir.resolve("modules.alias.bin"), w.toBytes());
        Files.writeString(dir.resolve("modules.alias"), "alias bar crc-itu-t\nalias baz crc_itu_t\n"
                + "alias two crc-itu-t\nalias two mb-cache\nalias dash* snd-hda-intel\n");
        conf = tmp.resolve("conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("test.conf"), "options crc_itu_t x=1\nblacklist mbcache\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--show-depends bar", "-R bar", "-n -v bar", "--show-depends baz", "-R two",
            "--show-depends two", "-R dashed", "--show-depends dashed", "-r -n -v bar", "-q bar"})
    void resolvesAsKmodDoes(String args) {
        List<String> run = List.of(args.split(" "));
        List<String> k = new ArrayList<>(List.of(kmod, "-d", root.toString(), "-S", rel, "-C", conf.toString()));
        k.addAll(run);
        Tool kt = Tool.exec(k);
        List<String> l = new ArrayList<>(List.of("modprobe", "--root", root.toString(), "-d", root.toString(),
                "-S", rel, "-C", conf.toString()));
        l.addAll(run);
        Tool lt = Tool.lkmd(l.toArray(new String[0]));
        assertEquals(kt.out(), lt.out(), "modprobe " + args + " (stdout)");
        assertEquals(kt.rc(), lt.rc(), "modprobe " + args + " (exit code)");
        assertEquals(kt.err(), lt.err(), "modprobe " + args + " (stderr)");
    }
}
