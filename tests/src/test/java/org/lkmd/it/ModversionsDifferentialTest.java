package org.lkmd.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code modprobe --show-modversions} / {@code --dump-modversions} against kmod 30's on the Debian
 * tree (every 25th module in path order, so a few hundred files) and on bad input: stdout, stderr
 * and exit status must be the same.
 */
class ModversionsDifferentialTest {
    @TempDir
    static Path tmp;

    private static void same(List<String> args) {
        List<String> k = new ArrayList<>(List.of(RealTree.kmodTool("modprobe")));
        k.addAll(args);
        Tool kt = Tool.exec(k);
        List<String> l = new ArrayList<>(List.of("modprobe"));
        l.addAll(args);
        Tool lt = Tool.lkmd(l.toArray(new String[0]));
        String what = "modprobe " + String.join(" ", args);
        assertEquals(kt.out(), lt.out(), what + " (stdout)");
        assertEquals(kt.err(), lt.err(), what + " (stderr)");
        assertEquals(kt.rc(), lt.rc(), what + " (exit code)");
    }

    @Test
    void debianModulesPrintAsKmod() throws IOException {
        List<Path> kos;
        try (Stream<Path> s = Files.walk(RealTree.modulesDir().resolve("kernel"))) {
            kos = s.filter(p -> p.getFileName().toString().endsWith(".ko")).sorted().toList();
        }
        assertTrue(kos.size() > 1000, "the Debian tree has thousands of modules, found " + kos.size());
        int compared = 0;
        for (int i = 0; i < kos.size(); i += 25) {
            String f = kos.get(i).toString();
            same(List.of(i % 2 == 0 ? "--show-modversions" : "--dump-modversions", f));
            compared++;
        }
        same(List.of("--show-modversions", kos.get(0).toString(), kos.get(1).toString()));
        assertTrue(compared > 100, "compared " + compared);
    }

    @Test
    void badInputReadsLikeKmod() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.ko"));
        Path text = Files.writeString(tmp.resolve("text.ko"), "not an ELF file\n");
        same(List.of("--show-modversions", "/nonexistent/x.ko"));
        same(List.of("-q", "--show-modversions", "/nonexistent/x.ko"));
        same(List.of("--show-modversions", "crc16"));
        same(List.of("--show-modversions", tmp.toString()));
        same(List.of("--show-modversions", empty.toString()));
        same(List.of("--show-modversions", text.toString()));
        same(List.of("--show-modversions"));
    }
}
