package org.lkmd.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lkmd.testing.Await.waitFor;

class ReloaderTest {
    @TempDir
    Path root;

    @Test
    void burstOfEditsMakesOneReloadAfterTheDebounce() throws Exception {
        Path rules = root.resolve("etc/lkmd/rules.d");
        Files.createDirectories(rules);
        Path mp = root.resolve("etc/modprobe.d");
        Files.createDirectories(mp);
        AtomicInteger reloads = new AtomicInteger();
        try (Reloader r = new Reloader(Root.of(root), root.resolve("lib/modules/6.1.0-test"),
                root.resolve("etc/lkmd/lkmd.toml"), "6.1.0-test",
                new DaemonConfig.Reload(true, false, Duration.ofMillis(300)), reloads::incrementAndGet).start()) {
            Thread.sleep(200);
            for (int i = 0; i < 5; i++) {
                Files.writeString(rules.resolve("9" + i + "-x.rules"), "# " + i + "\n");
                Files.writeString(mp.resolve("x.conf"), "# " + i + "\n");
                Thread.sleep(50);
            }
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reloads.get() == 0 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            Thread.sleep(800);
            assertEquals(1, reloads.get());
            // a directory that appears later is watched too
            Path late = root.resolve("run/lkmd/rules.d");
            Files.createDirectories(late);
            end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (reloads.get() < 2 && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            Thread.sleep(600);
            int before = reloads.get();
            Files.writeString(late.resolve("10-late.rules"), "# late\n");
            end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (reloads.get() == before && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertEquals(before + 1, reloads.get());
        }
    }

    @Test
    void anEditInLkmdsOwnModprobeDirectoryReloadsAndIsAmongTheSources() throws Exception {
        Path own = root.resolve("etc/lkmd/modprobe.d");
        Files.createDirectories(own);
        Path modules = root.resolve("lib/modules/6.1.0-test");
        Path config = root.resolve("etc/lkmd/lkmd.toml");
        AtomicInteger reloads = new AtomicInteger();
        try (Reloader r = new Reloader(Root.of(root), modules, config, "6.1.0-test",
                new DaemonConfig.Reload(true, false, Duration.ofMillis(100)), reloads::incrementAndGet).start()) {
            Thread.sleep(200);
            Files.writeString(own.resolve("deny.conf"), "deny e1000\n");
            assertTrue(waitFor(() -> reloads.get() == 1, Duration.ofSeconds(10)), "no reload after an edit");
        }
        assertTrue(SourceStamps.scan(Root.of(root), modules, config).containsKey(own.resolve("deny.conf").toString()));
    }

    @Test
    void withEveryDirectoryWatchedTheIdleWatcherHasNoTimerAndADeletedOneIsLookedForAgain() throws Exception {
        Path modules = root.resolve("lib/modules/6.1.0-test");
        Path config = root.resolve("etc/lkmd/lkmd.toml");
        for (Path d : SourceStamps.dirs(Root.of(root), modules, config)) {
            Files.createDirectories(d);
        }
        AtomicInteger reloads = new AtomicInteger();
        java.util.Set<Thread> others = Thread.getAllStackTraces().keySet();
        try (Reloader r = new Reloader(Root.of(root), modules, config, "6.1.0-test",
                new DaemonConfig.Reload(true, false, Duration.ofMillis(100)), reloads::incrementAndGet).start()) {
            java.util.function.Supplier<Thread.State> watcherState = () -> watcherState(others);
            assertTrue(waitFor(() -> watcherState.get() == Thread.State.WAITING, Duration.ofSeconds(10)), "idle watcher: " + watcherState.get());
            Files.writeString(root.resolve("etc/modprobe.d/x.conf"), "# x\n");
            assertTrue(waitFor(() -> reloads.get() == 1, Duration.ofSeconds(10)), "no reload after an edit");
            assertTrue(waitFor(() -> watcherState.get() == Thread.State.WAITING, Duration.ofSeconds(10)), "after the reload: " + watcherState.get());
            // a directory removed: looked for every few seconds until it is back, then watched again
            Path late = root.resolve("run/lkmd/rules.d");
            Files.delete(late);
            assertTrue(waitFor(() -> watcherState.get() == Thread.State.TIMED_WAITING, Duration.ofSeconds(10)), "missing dir: " + watcherState.get());
            Files.createDirectories(late);
            assertTrue(waitFor(() -> watcherState.get() == Thread.State.WAITING, Duration.ofSeconds(15)), "dir back: " + watcherState.get());
            int before = reloads.get();
            Files.writeString(late.resolve("10-late.rules"), "# late\n");
            assertTrue(waitFor(() -> reloads.get() > before, Duration.ofSeconds(10)), "no reload for the re-created directory");
        }
    }

    /** The state of the watcher thread started after {@code others} were listed. */
    private static Thread.State watcherState(java.util.Set<Thread> others) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("lkmd-watch") && t.isAlive() && !others.contains(t)) {
                return t.getState();
            }
        }
        return null;
    }

    @Test
    void indexMissingOrOlderThanAModuleIsStale() throws Exception {
        Path dir = root.resolve("lib/modules/6.1.0-test");
        Files.createDirectories(dir.resolve("kernel"));
        Reloader r = new Reloader(Root.of(root), dir, root.resolve("etc/lkmd/lkmd.toml"), "6.1.0-test",
                new DaemonConfig.Reload(true, true, Duration.ofMillis(100)), () -> { });
        assertEquals(Optional.empty(), r.staleness(), "no module, nothing to index");
        Path ko = dir.resolve("kernel/a.ko");
        Files.writeString(ko, "x");
        assertEquals(Optional.of("modules.dep missing"), r.staleness());
        Files.writeString(dir.resolve("modules.dep"), "kernel/a.ko:\n");
        Files.setLastModifiedTime(ko, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        Files.setLastModifiedTime(dir.resolve("modules.dep"), FileTime.from(Instant.parse("2026-01-02T00:00:00Z")));
        assertEquals(Optional.empty(), r.staleness());
        Files.setLastModifiedTime(ko, FileTime.from(Instant.parse("2026-01-03T00:00:00Z")));
        Optional<String> why = r.staleness();
        assertTrue(why.isPresent() && why.get().equals("modules.dep older than kernel/a.ko"), why.toString());
        r.close();
    }
}
