package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd modinfo} against kmod's modinfo: every module of the installed tree by name, a
 * sample of builtin modules, the field/NUL flags, compressed module files by path, concrete
 * modaliases and {@code symbol:} keys, {@code -m}, and a root whose modprobe.d has aliases and
 * install lines (kmod's modinfo reads no modprobe.d, so they change nothing).
 */
class ModinfoDifferentialTest {
    static String rel;

    @BeforeAll
    static void release() throws IOException {
        rel = RealTree.release();
    }

    private static List<String> moduleNames() throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/lib/modules", rel, "modules.dep"))) {
            String path = line.substring(0, line.indexOf(':'));
            String base = path.substring(path.lastIndexOf('/') + 1);
            names.add(base.substring(0, base.indexOf('.')).replace('-', '_'));
        }
        return names;
    }

    /** kmod's modinfo once per argument list (one shell loop), outputs concatenated. */
    private static String kmodBatch(Path tmp, List<List<String>> argLists) throws Exception {
        Path script = tmp.resolve("args");
        StringBuilder sb = new StringBuilder();
        for (List<String> args : argLists) {
            sb.append(String.join(" ", args)).append('\n');
        }
        Files.writeString(script, sb);
        Path out = tmp.resolve("kmod.out");
        KmodTree.Result r = KmodTree.sh("sh", "-c", "while read -r a; do modinfo $a; done < '" + script + "' > '" + out + "' 2>&1");
        assertEquals(0, r.rc(), r.err());
        return Files.readString(out, StandardCharsets.ISO_8859_1);
    }

    private static String lkmdBatch(List<List<String>> argLists) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (List<String> args : argLists) {
            List<String> a = new ArrayList<>(List.of("modinfo"));
            a.addAll(args);
            KmodTree.Result r = KmodTree.lkmd(a.toArray(String[]::new));
            all.writeBytes(r.out());
            all.writeBytes(r.err().getBytes(StandardCharsets.ISO_8859_1));
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    private static void assertSameLines(String expected, String actual) {
        if (!expected.equals(actual)) {
            String[] e = expected.split("\n", -1);
            String[] a = actual.split("\n", -1);
            for (int i = 0; i < Math.min(e.length, a.length); i++) {
                assertEquals(e[i], a[i], "first difference at output line " + (i + 1));
            }
            assertEquals(e.length, a.length, "line count");
        }
    }

    @Test
    void everyModuleOfTheTreeByName(@TempDir Path tmp) throws Exception {
        List<List<String>> args = new ArrayList<>();
        for (String n : moduleNames()) {
            args.add(List.of("-k", rel, n));
        }
        assertTrue(args.size() > 1000, "a real tree");
        assertSameLines(kmodBatch(tmp, args), lkmdBatch(args));
    }

    @Test
    void builtinModulesAndFieldFlags(@TempDir Path tmp) throws Exception {
        List<List<String>> args = new ArrayList<>();
        List<String> builtin = Files.readAllLines(Path.of("/lib/modules", rel, "modules.builtin"));
        for (int i = 0; i < builtin.size(); i += 7) {
            String base = builtin.get(i).substring(builtin.get(i).lastIndexOf('/') + 1);
            String name = base.substring(0, base.indexOf('.'));
            args.add(List.of("-k", rel, name));
            args.add(List.of("-k", rel, "-F", "name", name));
        }
        List<String> names = moduleNames();
        for (int i = 0; i < names.size(); i += 97) {
            String n = names.get(i);
            for (String flag : List.of("-a", "-d", "-l", "-p", "-n", "-0", "-F alias", "-F signer", "-F vermagic",
                    "-F depends", "-F parm", "-F filename")) {
                List<String> a = new ArrayList<>(List.of("-k", rel));
                a.addAll(List.of(flag.split(" ")));
                a.add(n);
                args.add(a);
            }
        }
        args.add(List.of("-k", rel, "no_such_module_anywhere"));
        args.add(List.of("-b", "/", "-k", rel, "e1000e", "usbcore"));
        assertSameLines(kmodBatch(tmp, args), lkmdBatch(args));
    }

    @Test
    void compressedModuleFilesByPath(@TempDir Path tmp) throws Exception {
        List<List<String>> args = new ArrayList<>();
        for (String ext : List.of("xz", "zst")) {
            Path tree = CompressedTrees.get(rel, ext);
            List<String> files = new ArrayList<>();
            try (var s = Files.walk(tree)) {
                s.filter(p -> p.toString().endsWith(".ko." + ext)).map(Path::toString).sorted().forEach(files::add);
            }
            for (int i = 0; i < files.size(); i += 50) {
                args.add(List.of(files.get(i)));
            }
        }
        assertSameLines(kmodBatch(tmp, args), lkmdBatch(args));
    }

    @Test
    void corruptFilesGiveKmodsErrorAfterTheFilename(@TempDir Path tmp) throws Exception {
        byte[] e1000e;
        try (var s = Files.walk(Path.of("/lib/modules", rel, "kernel"))) {
            e1000e = Files.readAllBytes(s.filter(p -> p.getFileName().toString().equals("e1000e.ko")).findFirst().orElseThrow());
        }
        Path truncated = Files.write(tmp.resolve("truncated.ko"), java.util.Arrays.copyOf(e1000e, 1000));
        Path garbage = Files.writeString(tmp.resolve("garbage.ko"), "not an ELF file at all");
        byte[] noInfo = e1000e.clone();
        int at = new String(noInfo, StandardCharsets.ISO_8859_1).indexOf("\0.modinfo\0");
        noInfo[at + 2] = 'X';
        Path noModinfo = Files.write(tmp.resolve("no-modinfo.ko"), noInfo);
        for (Path p : List.of(truncated, garbage, noModinfo)) {
            KmodTree.Result k = KmodTree.sh("modinfo", p.toString());
            KmodTree.Result l = KmodTree.lkmd("modinfo", p.toString());
            assertEquals(k.rc(), l.rc(), p.toString());
            assertEquals(k.outText(), l.outText(), p.toString());
            assertEquals(k.err(), l.err(), p.toString());
            assertTrue(l.err().contains("could not get modinfo from"), l.err());
        }
    }

    /**
     * Each argument list through kmod's modinfo (one shell loop, globbing off) and through lkmd,
     * each run followed by its exit status, so output and exit codes are compared together.
     */
    private static void assertSameRunsAndExitCodes(Path tmp, List<List<String>> argLists) throws Exception {
        Path script = tmp.resolve("args");
        StringBuilder sb = new StringBuilder();
        for (List<String> args : argLists) {
            sb.append(String.join(" ", args)).append('\n');
        }
        Files.writeString(script, sb, StandardCharsets.ISO_8859_1);
        Path out = tmp.resolve("kmod.out");
        KmodTree.Result r = KmodTree.sh("sh", "-c", "set -f; while read -r a; do modinfo $a; echo \"exit $?\"; done < '"
                + script + "' > '" + out + "' 2>&1");
        assertEquals(0, r.rc(), r.err());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (List<String> args : argLists) {
            List<String> a = new ArrayList<>(List.of("modinfo"));
            a.addAll(args);
            KmodTree.Result l = KmodTree.lkmd(a.toArray(String[]::new));
            all.writeBytes(l.out());
            all.writeBytes(l.err().getBytes(StandardCharsets.ISO_8859_1));
            all.writeBytes(("exit " + l.rc() + "\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        assertSameLines(Files.readString(out, StandardCharsets.ISO_8859_1), all.toString(StandardCharsets.ISO_8859_1));
    }

    private static List<String> indexLines(String file) throws IOException {
        return Files.readAllLines(Path.of("/lib/modules", rel, file), StandardCharsets.ISO_8859_1);
    }

    @Test
    void concreteModaliasesAndSymbolKeysShowEveryModuleKmodShows(@TempDir Path tmp) throws Exception {
        Set<String> queries = new LinkedHashSet<>();
        List<String> aliases = indexLines("modules.alias").stream().filter(l -> l.startsWith("alias ")).toList();
        for (int i = 0; i < aliases.size(); i++) {
            String pattern = aliases.get(i).split(" ")[1];
            if (i % 11 == 0) {
                queries.add(Concrete.of(pattern, ""));
            }
            if (i % 23 == 0) {
                queries.add(Concrete.of(pattern, "0A"));
            }
        }
        List<String> symbols = indexLines("modules.symbols").stream().filter(l -> l.startsWith("alias symbol:")).toList();
        for (int i = 0; i < symbols.size(); i += 97) {
            queries.add(symbols.get(i).split(" ")[1]);
        }
        String builtinInfo = Files.readString(Path.of("/lib/modules", rel, "modules.builtin.modinfo"), StandardCharsets.ISO_8859_1);
        int n = 0;
        for (String rec : builtinInfo.split("\0")) {
            int dot = rec.indexOf('.');
            if (dot > 0 && rec.startsWith("alias=", dot + 1) && n++ % 5 == 0) {
                queries.add(Concrete.of(rec.substring(dot + 7), ""));
            }
        }
        assertTrue(queries.size() > 3000, "a real alias corpus, got " + queries.size());
        List<List<String>> args = new ArrayList<>();
        for (String q : queries) {
            args.add(List.of("-k", rel, q));
        }
        args.add(List.of("-k", rel, "-F", "filename", "pci:v00008086d000010D3sv00001028sd00000000bc02sc00i00"));
        args.add(List.of("-k", rel, "pci:v0000FFFFd0000FFFFsv0sd0bc0sc0i0"));
        args.add(List.of("-k", rel, "no]such[alias"));
        args.add(List.of("-k", rel, "snd-hda-intel"));
        for (String m : List.of("snd-hda-intel", "e1000e", "ext4", "usbcore.ko", "fs-vfat", "pci:v00008086d000010D3sv*sd*bc*sc*i*",
                "no_such_module_anywhere")) {
            args.add(List.of("-k", rel, "-m", m));
        }
        assertSameRunsAndExitCodes(tmp, args);
    }

    @Test
    void modprobeDConfigUnderTheRootChangesNothingAsInKmod(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("lib/modules"));
        assertEquals(0, KmodTree.sh("cp", "-al", "/lib/modules/" + rel, root.resolve("lib/modules").toString()).rc());
        Path conf = Files.createDirectories(root.resolve("etc/modprobe.d"));
        // a config alias of its own, one shadowing a modalias e1000e claims, an install line, a blacklist
        Files.writeString(conf.resolve("lkmd-test.conf"), String.join("\n",
                "alias lkmd_test_nic e1000e",
                "alias lkmd-test-dash usbcore",
                "alias pci:v00008086d000010D3sv*sd*bc*sc*i* dummy",
                "install lkmd_only_command /bin/true",
                "blacklist e1000e",
                "options e1000e IntMode=1", ""));
        String symbol = indexLines("modules.symbols").stream().filter(l -> l.startsWith("alias symbol:"))
                .findFirst().orElseThrow().split(" ")[1];
        List<List<String>> args = new ArrayList<>();
        for (String q : List.of("lkmd_test_nic", "lkmd-test-dash", "lkmd_only_command",
                "pci:v00008086d000010D3sv00001028sd00000000bc02sc00i00", "e1000e", "dummy", symbol, "fs-vfat")) {
            args.add(List.of("-b", root.toString(), "-k", rel, q));
            args.add(List.of("-b", root.toString(), "-k", rel, "-F", "filename", q));
        }
        assertSameRunsAndExitCodes(tmp, args);
        // --root is lkmd's spelling of -b: the same answers
        for (List<String> a : args) {
            List<String> viaRoot = new ArrayList<>(List.of("--root", root.toString(), "modinfo"));
            viaRoot.addAll(a.subList(2, a.size()));
            List<String> viaB = new ArrayList<>(List.of("modinfo"));
            viaB.addAll(a);
            KmodTree.Result b = KmodTree.lkmd(viaB.toArray(String[]::new));
            KmodTree.Result r = KmodTree.lkmd(viaRoot.toArray(String[]::new));
            assertEquals(b.rc(), r.rc(), a.toString());
            assertEquals(b.outText(), r.outText(), a.toString());
            assertEquals(b.err(), r.err(), a.toString());
        }
    }
}
