package org.lkmd.index;

import org.lkmd.base.ModuleNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Differential tests on the installed Debian module tree. */
class RealTreeIndexTest {

    static Path dir;
    static ModuleIndex fromBin;
    static List<String> aliasCorpus;

    @BeforeAll
    static void load() throws IOException {
        dir = RealTree.modulesDir();
        fromBin = new ModuleIndexLoader().load(dir).value().orElseThrow();
        aliasCorpus = corpus(dir);
    }

    static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
    }

    /** Every modules.alias pattern made concrete, normalized, plus a few variants. */
    static List<String> corpus(Path dir) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (TextIndexReader.Entry e : TextIndexReader.parseAliases(read(dir.resolve("modules.alias")))) {
            ModuleNames.normalizeAlias(RealTree.concrete(e.key())).ifPresent(out::add);
        }
        return new ArrayList<>(out);
    }

    @Test
    void loadsRealTreeWithoutDiagnostics() {
        assertEquals(List.of(), new ModuleIndexLoader().load(dir).diagnostics());
    }

    @Test
    void matcherGivesLibkmodWalkResultsOnConcreteCorpus() {
        BinIndexReader trie = ((TrieModuleIndex) fromBin).aliasTrie();
        List<String> queries = new ArrayList<>(aliasCorpus);
        for (String q : aliasCorpus.subList(0, 3000)) {
            queries.add(q + "0");
            queries.add(q.substring(0, q.length() / 2));
        }
        queries.addAll(List.of("", "pci:v*", "usb:v*p*", "acpi*:PNP0C0A:*", "[", "fs-vfat", "fs_vfat"));
        int nonEmpty = 0;
        for (String q : queries) {
            List<String> walk = trie.searchWild(q).stream().map(IndexValue::value).collect(Collectors.toList());
            assertEquals(walk, fromBin.aliases(q), () -> "aliases(\"" + q + "\")");
            nonEmpty += walk.isEmpty() ? 0 : 1;
        }
        assertTrue(nonEmpty > aliasCorpus.size() * 9 / 10, "corpus mostly resolves: " + nonEmpty);
    }

    @Test
    void textAndBinGiveSameAnswers(@TempDir Path tmp) throws IOException {
        ModuleIndex fromText = new ModuleIndexLoader().load(RealTree.copyIndex(dir, tmp, false))
                .value().orElseThrow();
        List<DepEntry> deps = TextIndexReader.parseDep(read(dir.resolve("modules.dep")));
        assertTrue(deps.size() > 1000);
        for (DepEntry d : deps) {
            assertEquals(fromBin.dep(d.name()), fromText.dep(d.name()), d.name());
            assertEquals(d, fromBin.dep(d.name()).orElseThrow());
        }
        for (String q : aliasCorpus) {
            assertEquals(fromBin.aliases(q), fromText.aliases(q), q);
        }
        for (TextIndexReader.Entry s : TextIndexReader.parseAliases(read(dir.resolve("modules.symbols")))) {
            assertEquals(fromBin.symbols(s.key()), fromText.symbols(s.key()), s.key());
            assertEquals(List.of(s.value()), fromBin.symbols(s.key()), s.key());
        }
        for (String b : TextIndexReader.parseBuiltin(read(dir.resolve("modules.builtin")))) {
            assertTrue(fromBin.builtin(b), b);
            assertTrue(fromText.builtin(b), b);
        }
        assertFalse(fromBin.builtin("no_such_module"));
        for (TextIndexReader.Entry e : TextIndexReader.parseBuiltinModinfo(read(dir.resolve("modules.builtin.modinfo")))) {
            String q = ModuleNames.normalizeAlias(RealTree.concrete(e.key())).orElseThrow();
            assertEquals(fromBin.builtinAliases(q), fromText.builtinAliases(q), q);
            assertTrue(fromBin.builtinAliases(q).contains(e.value()), q);
        }
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        fromBin.dumpAliases(a);
        fromBin.dumpSymbols(a);
        fromText.dumpAliases(b);
        fromText.dumpSymbols(b);
        assertEquals(a.toString(), b.toString());
    }

    @Test
    void dumpMatchesModprobeC() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getParent().equals(Path.of("/lib/modules"))
                && Files.isExecutable(Path.of("/usr/sbin/modprobe")) || Files.isExecutable(Path.of("/sbin/modprobe")));
        Process p = new ProcessBuilder("modprobe", "-c", "-S", dir.getFileName().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        p.waitFor();
        String marker = "# End of configuration files. Dumping indexes now:\n\n";
        int at = out.indexOf(marker);
        assertTrue(at >= 0, "modprobe -c has its dump marker");
        StringBuilder ours = new StringBuilder();
        fromBin.dumpAliases(ours);
        fromBin.dumpSymbols(ours);
        assertEquals(out.substring(at + marker.length()), ours.toString());
    }
}
