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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd modinfo} against kmod's modinfo: every module of the installed tree by name, a
 * sample of builtin modules, the field/NUL flags, and compressed module files by path.
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
}
