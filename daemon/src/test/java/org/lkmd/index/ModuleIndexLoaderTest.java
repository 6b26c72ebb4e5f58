package org.lkmd.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleIndexLoaderTest {

    @Test
    void missingModulesDepIsOneErrorNamingPathAndDepmod(@TempDir Path tmp) {
        ParseResult<ModuleIndex> r = new ModuleIndexLoader().load(tmp);
        assertTrue(r.value().isEmpty());
        assertEquals(1, r.diagnostics().size());
        Diagnostic d = r.diagnostics().get(0);
        assertEquals(Severity.ERROR, d.severity());
        assertTrue(d.toString().startsWith(tmp.resolve("modules.dep") + ": "), d.toString());
        assertTrue(d.message().contains("depmod"), d.message());
    }

    @Test
    void textOnlyTreeAnswersWithKmodNormalizationAndDuplicates(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("modules.dep"), "kernel/a/mod-a.ko: kernel/b/mod_b.ko\nkernel/b/mod_b.ko:\n");
        Files.writeString(tmp.resolve("modules.alias"),
                "# Aliases extracted from modules themselves.\n"
                + "alias pci:v*d0001* mod_b\nalias foo-bar mod_a\nalias pci:v0001d* mod_a\nalias pci:v*d0001* mod_a\n");
        ModuleIndex idx = new ModuleIndexLoader().load(tmp).value().orElseThrow();
        assertEquals(new DepEntry("mod_a", "kernel/a/mod-a.ko", List.of("kernel/b/mod_b.ko")),
                idx.dep("mod_a").orElseThrow());
        assertEquals(List.of("mod_a"), idx.aliases("foo_bar"));
        // mod_b ranks first (first seen); mod_a twice: found later first within equal priority
        assertEquals(List.of("mod_b", "mod_a", "mod_a"), idx.aliases("pci:v0001d0001"));
        assertEquals(List.of(), idx.symbols("symbol:x"));
        StringBuilder dump = new StringBuilder();
        idx.dumpAliases(dump);
        assertEquals("alias foo_bar mod_a\nalias pci:v*d0001* mod_b\nalias pci:v*d0001* mod_a\n"
                + "alias pci:v0001d* mod_a\n", dump.toString());
    }

    @Test
    void corruptBinWarnsWithOffsetAndFallsBackToText(@TempDir Path tmp) throws Exception {
        Path real = RealTree.modulesDir();
        RealTree.copyIndex(real, tmp, true);
        Path bin = tmp.resolve("modules.alias.bin");
        byte[] b = Files.readAllBytes(bin);
        Files.write(bin, java.util.Arrays.copyOf(b, b.length / 2));
        ParseResult<ModuleIndex> r = new ModuleIndexLoader().load(tmp);
        assertEquals(1, r.diagnostics().size(), r.diagnostics().toString());
        Diagnostic d = r.diagnostics().get(0);
        assertEquals(Severity.WARNING, d.severity());
        assertTrue(d.toString().startsWith(bin + ": corrupt index at offset "), d.toString());
        assertTrue(d.message().contains("using modules.alias instead"), d.message());
        ModuleIndex good = new ModuleIndexLoader().load(real).value().orElseThrow();
        ModuleIndex fallback = r.value().orElseThrow();
        for (String q : RealTreeIndexTest.corpus(real).subList(0, 3000)) {
            assertEquals(good.aliases(q), fallback.aliases(q), q);
        }
    }
}
