package org.lkmd.it;

import org.lkmd.cli.CliContext;
import org.lkmd.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The installed Debian module tree, copies of it, and runs of kmod's tools and of lkmd's verbs on them. */
final class KmodTree {
    /** Index files depmod writes (removed from copies so each tool must write its own). */
    static final String[] INDEXES = {"modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin",
            "modules.softdep", "modules.symbols", "modules.symbols.bin", "modules.builtin.bin",
            "modules.builtin.alias.bin", "modules.devname", "modules.weakdep"};

    private KmodTree() {
    }

    /** Hard-links the installed tree into {@code root/lib/modules/REL}, without the depmod outputs. */
    static Path linkTree(Path root, String rel) throws IOException, InterruptedException {
        Path mods = root.resolve("lib/modules");
        Files.createDirectories(mods);
        sh("cp", "-al", "/lib/modules/" + rel, mods.toString());
        Path dir = mods.resolve(rel);
        for (String f : INDEXES) {
            Files.deleteIfExists(dir.resolve(f));
        }
        return dir;
    }

    record Result(int rc, byte[] out, String err) {
        String outText() {
            return new String(out, StandardCharsets.ISO_8859_1);
        }
    }

    static Result sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t = new Thread(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException e) {
                // process gone
            }
        });
        t.start();
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        t.join();
        return new Result(rc, out, err.toString(StandardCharsets.ISO_8859_1));
    }

    /** Runs an lkmd verb in-process. */
    static Result lkmd(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.ISO_8859_1);
        PrintStream e = new PrintStream(err, true, StandardCharsets.ISO_8859_1);
        int rc = Main.run(new CliContext(o, e, (root, rel) -> null), args);
        o.flush();
        e.flush();
        return new Result(rc, out.toByteArray(), err.toString(StandardCharsets.ISO_8859_1));
    }

    /** Every {@code modules.*} file of a module dir, by name. */
    static TreeMap<String, byte[]> indexFiles(Path dir) throws IOException {
        TreeMap<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith("modules.") && Files.isRegularFile(p)) {
                    m.put(n, Files.readAllBytes(p));
                }
            }
        }
        return m;
    }

    /** Names of files that differ between two module dirs (or exist in only one). */
    static List<String> differences(Path a, Path b) throws IOException {
        TreeMap<String, byte[]> fa = indexFiles(a);
        TreeMap<String, byte[]> fb = indexFiles(b);
        List<String> diff = new ArrayList<>();
        for (String n : fa.keySet()) {
            if (!fb.containsKey(n) || !java.util.Arrays.equals(fa.get(n), fb.get(n))) {
                diff.add(n);
            }
        }
        for (String n : fb.keySet()) {
            if (!fa.containsKey(n)) {
                diff.add(n + " (only lkmd)");
            }
        }
        return diff;
    }
}
