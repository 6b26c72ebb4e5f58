package org.lkmd.base;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RuntimeDirTest {
    private static final Path FALLBACK = Path.of("/root-under-test/run/lkmd");

    @Test
    void systemdsRuntimeDirectoryWinsFirstOfSeveral() {
        assertEquals(Path.of("/run/lkmd"), RuntimeDir.of(Map.of("RUNTIME_DIRECTORY", "/run/lkmd:/run/other"), FALLBACK));
    }

    @Test
    void unsetOrEmptyGivesTheFallback() {
        assertEquals(FALLBACK, RuntimeDir.of(Map.of(), FALLBACK));
        assertEquals(FALLBACK, RuntimeDir.of(Map.of("RUNTIME_DIRECTORY", ""), FALLBACK));
    }

    @Test
    void theOldVariableIsNotRead() {
        assertEquals(FALLBACK, RuntimeDir.of(Map.of("LKMD_RUNTIME_DIR", "/elsewhere"), FALLBACK));
    }
}
