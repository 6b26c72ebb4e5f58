package org.lkmd.daemon;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A snapshot's modprobe inputs after each kind of change, or none: taken again, and checked with {@code changed()}. */
class ModprobeInputsTest {
    static final FileTime LATER = FileTime.from(Instant.parse("2030-01-01T00:00:00Z"));

    @TempDir
    Path dir;
    Path modules;
    ModprobeInputs before;

    @BeforeEach
    void tree() throws IOException {
        Files.createDirectories(dir.resolve("etc/modprobe.d"));
        Files.writeString(dir.resolve("etc/modprobe.d/a.conf"), "options a x=1\n");
        Files.createDirectories(dir.resolve("etc/lkmd/modprobe.d"));
        Files.writeString(dir.resolve("etc/lkmd/modprobe.d/deny.conf"), "deny b\n");
        modules = Files.createDirectories(dir.resolve("lib/modules/6.1.0-test"));
        Files.writeString(modules.resolve("modules.dep"), "kernel/a.ko:\n");
        Files.writeString(modules.resolve("modules.alias.bin"), "");
        Files.createDirectories(modules.resolve("kernel"));
        Files.writeString(modules.resolve("kernel/a.ko"), "");
        before = now();
    }

    private ModprobeInputs now() {
        return ModprobeInputs.of(Root.of(dir), modules);
    }

    private void same() {
        assertEquals(before, now());
        assertFalse(before.changed());
    }

    private void differ() {
        assertNotEquals(before, now());
        assertTrue(before.changed());
    }

    @Test
    void nothingChangedIsTheSame() {
        same();
    }

    @Test
    void aFileWrittenInPlaceIsAChange() throws IOException {
        Files.setLastModifiedTime(dir.resolve("etc/modprobe.d/a.conf"), LATER);
        differ();
    }

    @Test
    void aFileOfTheSameTimeButAnotherSizeIsAChange() throws IOException {
        Path f = dir.resolve("etc/lkmd/modprobe.d/deny.conf");
        FileTime t = Files.getLastModifiedTime(f);
        Files.writeString(f, "deny b\ndeny c\n");
        Files.setLastModifiedTime(f, t);
        differ();
    }

    @Test
    void aFileAddedOrRemovedIsAChange() throws IOException {
        Files.delete(dir.resolve("etc/modprobe.d/a.conf"));
        differ();
    }

    @Test
    void theModuleIndexCountsAndTheModulesDoNot() throws IOException {
        Files.setLastModifiedTime(modules.resolve("kernel/a.ko"), LATER);
        same();
        Files.setLastModifiedTime(modules.resolve("modules.alias.bin"), LATER);
        differ();
    }

    @Test
    void aDirectoryThatAppearsIsAChange() throws IOException {
        Files.createDirectories(dir.resolve("run/modprobe.d"));
        differ();
    }
}
