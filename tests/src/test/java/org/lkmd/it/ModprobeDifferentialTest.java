package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd modprobe --show-depends} against kmod's on the Debian kernel's real module tree:
 * every module name, every modules.alias pattern made concrete (two ways), every {@code symbol:}
 * alias, every builtin module and builtin alias. Queries go in batches through {@code -a}; a
 * batch whose output differs is re-run query by query to name the differences.
 */
class ModprobeDifferentialTest {
    private static final int BATCH = 400;

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

    private static List<String> lines(String file) throws IOException {
        return Files.readAllLines(RealTree.modulesDir().resolve(file));
    }

    @Test
    void everyModuleNameResolvesAsKmodDoes() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (String l : lines("modules.dep")) {
            String path = l.substring(0, l.indexOf(':'));
            String base = path.substring(path.lastIndexOf('/') + 1);
            String name = base.substring(0, base.indexOf('.'));
            names.add(name); // as written in the file name, dashes and all
        }
        assertTrue(names.size() > 3000, "expected the Debian tree's ~4,000 modules, got " + names.size());
        compare(new ArrayList<>(names));
    }

    @Test
    void everyConcreteAliasResolvesAsKmodDoes() throws IOException {
        Set<String> queries = new LinkedHashSet<>();
        for (String l : lines("modules.alias")) {
            if (!l.startsWith("alias ")) {
                continue;
            }
            String pattern = l.split(" ")[1];
            queries.add(Concrete.of(pattern, ""));
            queries.add(Concrete.of(pattern, "0A"));
        }
        assertTrue(queries.size() > 26000, "expected the concrete alias corpus, got " + queries.size());
        compare(new ArrayList<>(queries));
    }

    @Test
    void everySymbolAliasResolvesAsKmodDoes() throws IOException {
        List<String> queries = new ArrayList<>();
        for (String l : lines("modules.symbols")) {
            if (l.startsWith("alias symbol:")) {
                queries.add(l.split(" ")[1]);
            }
        }
        assertTrue(queries.size() > 10000, "expected the symbol corpus, got " + queries.size());
        compare(queries);
    }

    @Test
    void builtinModulesAndAliasesResolveAsKmodDoes() throws IOException {
        List<String> queries = new ArrayList<>();
        for (String l : lines("modules.builtin")) {
            String base = l.substring(l.lastIndexOf('/') + 1);
            queries.add(base.substring(0, base.indexOf('.')));
        }
        String modinfo = Files.readString(RealTree.modulesDir().resolve("modules.builtin.modinfo"),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String rec : modinfo.split("\0")) {
            int dot = rec.indexOf('.');
            if (dot > 0 && rec.startsWith("alias=", dot + 1)) {
                queries.add(Concrete.of(rec.substring(dot + 7), ""));
            }
        }
        compare(queries);
    }

    /** Runs the queries through both tools in batches and asserts identical stdout and exit codes. */
    private static void compare(List<String> queries) {
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < queries.size(); i += BATCH) {
            List<String> batch = queries.subList(i, Math.min(queries.size(), i + BATCH));
            Tool k = kmod(batch);
            Tool l = lkmd(batch);
            if (k.rc() == l.rc() && k.out().equals(l.out())) {
                continue;
            }
            for (String q : batch) {
                Tool kq = kmod(List.of(q));
                Tool lq = lkmd(List.of(q));
                if (kq.rc() != lq.rc() || !kq.out().equals(lq.out())) {
                    diffs.add(q + "\n  kmod (rc " + kq.rc() + "):\n" + kq.out() + "  lkmd (rc " + lq.rc() + "):\n"
                            + lq.out() + lq.err());
                    if (diffs.size() >= 15) {
                        break;
                    }
                }
            }
            if (diffs.size() >= 15) {
                break;
            }
        }
        assertEquals(List.of(), diffs, diffs.size() + " queries resolve differently (first 15 shown)");
    }

    private static Tool kmod(List<String> queries) {
        List<String> cmd = Tool.list(kmod, "-d", root.toString(), "-S", rel, "-a", "--show-depends", "--");
        cmd.addAll(queries);
        return Tool.exec(cmd);
    }

    private static Tool lkmd(List<String> queries) {
        List<String> cmd = Tool.list("modprobe", "--root", root.toString(), "-d", root.toString(), "-S", rel,
                "-a", "--show-depends", "--");
        cmd.addAll(queries);
        return Tool.lkmd(cmd.toArray(new String[0]));
    }
}
