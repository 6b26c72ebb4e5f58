package org.lkmd.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.testing.Await;
import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A start on a module tree without its index (a new kernel's tree before depmod, {@code modules.dep*}
 * removed): the daemon ({@code --simulate --coldplug scan}) becomes ready, rebuilds the index with its
 * depmod, and then plans the drivers of the devices that were present at start, which coldplug on the
 * empty index could not. On a read-only tree: one error naming the directory, and the daemon runs on.
 */
class DaemonSelfHealTest {
    @TempDir
    Path tmp;

    /** Real modules copied from the installed tree (no index), the drivers rules, a fake sysfs with a pcspkr and a virtio-rng. */
    private static Path root(Path dir, String rel) throws IOException {
        Path real = RealTree.modulesDir();
        Path mods = dir.resolve("lib/modules/" + rel);
        for (String ko : List.of("kernel/drivers/input/misc/pcspkr.ko", "kernel/drivers/char/hw_random/virtio-rng.ko")) {
            assumeTrue(Files.isRegularFile(real.resolve(ko)), "no " + ko + " in " + real);
            Files.createDirectories(mods.resolve(ko).getParent());
            Files.copy(real.resolve(ko), mods.resolve(ko));
        }
        for (String f : List.of("modules.builtin", "modules.builtin.modinfo")) {
            Files.copy(real.resolve(f), mods.resolve(f));
        }
        Files.writeString(mods.resolve("modules.order"),
                "kernel/drivers/input/misc/pcspkr.ko\nkernel/drivers/char/hw_random/virtio-rng.ko\n");
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("proc/cmdline"), "quiet\n");
        Files.createDirectories(dir.resolve("etc/lkmd/rules.d"));
        Files.copy(Path.of(System.getProperty("lkmd.repo", ".."), "rules/80-lkmd-drivers.rules"),
                dir.resolve("etc/lkmd/rules.d/80-lkmd-drivers.rules"));
        Files.writeString(dir.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n");
        device(dir, "/devices/platform/pcspkr", "platform", "platform:pcspkr");
        // virtio_rng's alias needs virtio, which this tree lacks: found, not loadable: planned all the same
        device(dir, "/devices/pci0000:00/0000:00:04.0/virtio3", "virtio", "virtio:d00000004v00001AF4");
        Files.createDirectories(dir.resolve("run/lkmd/simulate"));
        return dir;
    }

    private static void device(Path root, String devpath, String bus, String modalias) throws IOException {
        Path dev = root.resolve("sys" + devpath);
        Files.createDirectories(dev);
        Files.writeString(dev.resolve("uevent"), "MODALIAS=" + modalias + "\n");
        Path busDir = root.resolve("sys/bus/" + bus);
        Files.createDirectories(busDir.resolve("devices"));
        Files.createSymbolicLink(dev.resolve("subsystem"), busDir);
        Files.createSymbolicLink(busDir.resolve("devices").resolve(dev.getFileName()), dev);
    }

    private record Run(Daemon daemon, Thread thread, List<EventRecord> records) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            daemon.stop();
            thread.join(60_000);
        }
    }

    private static Run start(Path root, String rel) throws Exception {
        Root r = Root.of(root);
        Daemon d = new Daemon(r, SimulatedKernel.on(r).release(rel).stateDir(root.resolve("run/lkmd/simulate")).build(),
                new SnapshotLoader(r, rel, Clock.systemUTC()), Clock.systemUTC(), Map.of(), true,
                Optional.of(DaemonConfig.ColdplugMode.SCAN));
        List<EventRecord> records = Collections.synchronizedList(new ArrayList<>());
        d.events().subscribe(records::add);
        Thread t = new Thread(d::run, "daemon-under-test");
        t.start();
        assertTrue(d.awaitReady(Duration.ofSeconds(120)), "daemon did not become ready");
        return new Run(d, t, records);
    }

    private static List<String> planned(List<EventRecord> records, String devpath) {
        synchronized (records) {
            return records.stream().filter(r -> r.devpath().equals(devpath))
                    .flatMap(r -> r.outcomes().stream()).filter(o -> o.result() == EventRecord.Result.DRY_RUN)
                    .map(EventRecord.Outcome::what).toList();
        }
    }

    @Test
    void aMissingIndexIsRebuiltAndThePresentDevicesArePlannedAgain() throws Exception {
        String rel = RealTree.release();
        Path root = root(tmp.resolve("root"), rel);
        Path mods = root.resolve("lib/modules/" + rel);
        assertFalse(Files.exists(mods.resolve("modules.dep")));
        try (Run run = start(root, rel)) {
            // coldplug ran on an empty index: nothing planned yet for the devices
            Await.waitFor(() -> !planned(run.records(), "/devices/platform/pcspkr").isEmpty()
                    && !planned(run.records(), "/devices/pci0000:00/0000:00:04.0/virtio3").isEmpty(), Duration.ofSeconds(120));
            assertEquals(List.of("pcspkr"), planned(run.records(), "/devices/platform/pcspkr"));
            assertEquals(List.of("virtio_rng"), planned(run.records(), "/devices/pci0000:00/0000:00:04.0/virtio3"));
            List<EventRecord> first;
            synchronized (run.records()) {
                first = run.records().stream().filter(r -> r.devpath().equals("/devices/platform/pcspkr")).toList();
            }
            assertEquals(EventRecord.Result.NOT_FOUND, first.get(0).outcomes().get(0).result(),
                    "the coldplug on the empty index, then the plan on the rebuilt one: " + first);
            assertTrue(Files.exists(mods.resolve("modules.dep")) && Files.exists(mods.resolve("modules.alias.bin")));
            assertEquals(2, run.daemon().snapshot().generation(), "one reload, after the rebuild");
        }
    }

    @Test
    void aReadOnlyTreeWithoutIndexIsOneErrorNamingTheDirectoryAndTheDaemonRunsOn() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "a read-only bind mount needs root");
        String rel = RealTree.release();
        Path root = root(tmp.resolve("ro"), rel);
        Path mods = root.resolve("lib/modules/" + rel);
        assumeTrue(Tool.exec(List.of("mount", "--bind", mods.toString(), mods.toString())).rc() == 0, "cannot bind mount");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger rootLog = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        rootLog.addAppender(logged);
        try {
            assertEquals(0, Tool.exec(List.of("mount", "-o", "remount,bind,ro", mods.toString())).rc());
            try (Run run = start(root, rel)) {
                Await.waitFor(() -> messages(logged, Level.WARN).stream().anyMatch(m -> m.contains("rebuild")),
                        Duration.ofSeconds(120));
                // one error: the index missing, naming the directory; the failed rebuild's reason beside it
                List<String> errors = messages(logged, Level.ERROR);
                assertEquals(1, errors.size(), "errors: " + errors);
                assertTrue(errors.get(0).startsWith(mods + "/modules.dep: missing"), errors.get(0));
                List<String> rebuild = messages(logged, Level.WARN).stream().filter(m -> m.contains("rebuild")).toList();
                assertEquals(List.of("Failed to rebuild the module index in " + mods
                        + ": Could not write index 'modules.dep': Read-only file system; running without it"), rebuild);
                Thread.sleep(500);
                assertTrue(run.thread().isAlive(), "the daemon stopped");
                assertEquals(1, run.daemon().snapshot().generation(), "kept the snapshot it had");
                assertFalse(Files.exists(mods.resolve("modules.dep")));
                System.out.println("read-only tree: " + errors + " / " + rebuild);
            }
        } finally {
            rootLog.detachAppender(logged);
            Tool.exec(List.of("umount", mods.toString()));
        }
    }

    private static List<String> messages(ListAppender<ILoggingEvent> logged, Level level) {
        synchronized (logged.list) {
            return logged.list.stream().filter(e -> e.getLevel() == level)
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }
}
