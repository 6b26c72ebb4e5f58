package org.lkmd.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.config.DaemonConfig;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AutoCleanTest {
    @TempDir
    Path root;

    /** A clock the test moves. */
    static final class FakeClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private Path ko(String name, String... depends) throws Exception {
        Path dir = root.resolve("lib/modules/6.1.0-test/kernel");
        Files.createDirectories(dir);
        Path p = dir.resolve(name + ".ko");
        Files.write(p, ("\u007fELF\0name=" + name + "\0depends=" + String.join(",", depends) + "\0")
                .getBytes(StandardCharsets.US_ASCII));
        return p;
    }

    private static EventRecord loaded(Instant at, String module, String with) {
        return new EventRecord(1, "add", "/devices/x", "platform", "platform:x", at, Duration.ZERO, List.of(),
                List.of(new EventRecord.Outcome(module, "platform:x", EventRecord.Result.LOADED, null, with)));
    }

    @Test
    void unloadsOnlyIdleModulesLkmdLoadedNeverKeptOrBuiltinOnes() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).release("6.1.0-test").build();
        k.finitModule(ko("mod_a"), "", 0);
        k.finitModule(ko("mod_b", "mod_a"), "", 0);
        k.finitModule(ko("mod_keep"), "", 0);
        k.finitModule(ko("mod_other"), "", 0);
        Files.createDirectories(root.resolve("sys/module/mod_builtin"));
        FakeClock clock = new FakeClock();
        AutoClean c = new AutoClean(k, clock, () -> new DaemonConfig.Autoclean(true, Duration.ofMinutes(10),
                List.of("mod_keep")));
        c.record(loaded(clock.instant(), "mod_b", "mod_a"));
        c.record(loaded(clock.instant(), "mod_keep", ""));
        c.record(loaded(clock.instant(), "mod_builtin", ""));

        assertEquals(List.of(), c.sweep()); // mod_b starts its idle time; mod_a is held by mod_b
        clock.advance(Duration.ofMinutes(9));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("mod_b"), c.sweep());
        assertEquals(ModuleState.ABSENT, k.state("mod_b"));
        // mod_a was looked at before mod_b went: its idle time starts at the next sweep
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(9));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("mod_a"), c.sweep());
        clock.advance(Duration.ofHours(5));
        assertEquals(List.of(), c.sweep());
        assertEquals(ModuleState.LIVE, k.state("mod_keep"));
        assertEquals(ModuleState.LIVE, k.state("mod_other"));
        assertEquals(ModuleState.BUILTIN, k.state("mod_builtin"));
        assertEquals(List.of("mod_b", "mod_a"), k.unloadOrder());
        assertEquals(2, c.unloaded());
        assertEquals(List.of("mod_keep"), c.candidates());
    }

    @Test
    void aModuleInUseRestartsItsIdleTimeAndDisabledDoesNothing() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).release("6.1.0-test").build();
        k.finitModule(ko("mod_a"), "", 0);
        FakeClock clock = new FakeClock();
        AtomicReference<DaemonConfig.Autoclean> cfg = new AtomicReference<>(DaemonConfig.Autoclean.defaults());
        AutoClean c = new AutoClean(k, clock, cfg::get);
        c.record(loaded(clock.instant(), "mod_a", null));
        clock.advance(Duration.ofDays(1));
        assertEquals(List.of(), c.sweep()); // disabled by default
        cfg.set(new DaemonConfig.Autoclean(true, Duration.ofMinutes(5), List.of()));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(4));
        Files.writeString(root.resolve("sys/module/mod_a/refcnt"), "1\n"); // someone opened it
        assertEquals(List.of(), c.sweep());
        Files.writeString(root.resolve("sys/module/mod_a/refcnt"), "0\n");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(4));
        assertEquals(List.of(), c.sweep());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("mod_a"), c.sweep());
    }

    /** A device bound to {@code module}'s driver, as sysfs links it: /sys/module/M/drivers/BUS:DRV/DEVICE. */
    private Path bind(String module, String bus, String driver, String device) throws Exception {
        Path drv = root.resolve("sys/bus").resolve(bus).resolve("drivers").resolve(driver);
        Files.createDirectories(drv);
        Files.writeString(drv.resolve("bind"), "");
        Files.writeString(drv.resolve("uevent"), "");
        Path modLink = drv.resolve("module");
        if (!Files.exists(modLink, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(modLink, root.resolve("sys/module").resolve(module));
        }
        Path dev = root.resolve("sys/devices/pci0000:00").resolve(device);
        Files.createDirectories(dev);
        Path devLink = drv.resolve(device);
        Files.createSymbolicLink(devLink, dev);
        Path drivers = root.resolve("sys/module").resolve(module).resolve("drivers");
        Files.createDirectories(drivers);
        Path entry = drivers.resolve(bus + ":" + driver);
        if (!Files.exists(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(entry, drv);
        }
        return devLink;
    }

    @Test
    void aDriverWithABoundDeviceStaysUntilTheDeviceIsGone() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).release("6.1.0-test").build();
        k.finitModule(ko("e1000"), "", 0);
        Path nic = bind("e1000", "pci", "e1000", "0000:00:03.0");
        Path nic2 = bind("e1000", "pci", "e1000", "0000:00:04.0");
        assertEquals(List.of("pci:e1000/0000:00:03.0", "pci:e1000/0000:00:04.0"), k.boundDevices("e1000"));
        assertEquals(0, k.refcount("e1000"));
        assertEquals(List.of(), k.holders("e1000"));
        FakeClock clock = new FakeClock();
        AutoClean c = new AutoClean(k, clock, () -> new DaemonConfig.Autoclean(true, Duration.ZERO, List.of()));
        c.record(loaded(clock.instant(), "e1000", ""));
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofHours(1));
            assertEquals(List.of(), c.sweep(), "refcount 0 and no holders, but bound to a present NIC");
        }
        Files.delete(nic); // one of two NICs unplugged
        assertEquals(List.of(), c.sweep());
        Files.delete(nic2);
        assertEquals(List.of("e1000"), c.sweep());
        assertEquals(ModuleState.ABSENT, k.state("e1000"));
    }

    @Test
    void aModuleLoadedBeforeTheDaemonIsNeverTouchedUnlessLkmdLoadsItAgain() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).release("6.1.0-test").build();
        k.finitModule(ko("from_initramfs"), "", 0);   // loaded before the daemon started
        k.finitModule(ko("dep_early"), "", 0);
        FakeClock clock = new FakeClock();
        AutoClean c = new AutoClean(k, clock, () -> new DaemonConfig.Autoclean(true, Duration.ZERO, List.of()),
                AutoClean.loadedNow(k));
        // an event finds it loaded (no LOADED outcome); another load names an early module as one it brought in
        c.record(new EventRecord(2, "add", "/devices/y", "pci", "pci:y", clock.instant(), Duration.ZERO, List.of(),
                List.of(new EventRecord.Outcome("from_initramfs", "pci:y", EventRecord.Result.ALREADY_LOADED, null, ""))));
        k.finitModule(ko("late"), "", 0);
        c.record(loaded(clock.instant(), "late", "dep_early"));
        clock.advance(Duration.ofDays(1));
        assertEquals(List.of("late"), c.sweep());
        clock.advance(Duration.ofDays(1));
        assertEquals(List.of(), c.sweep());
        assertEquals(ModuleState.LIVE, k.state("from_initramfs"));
        assertEquals(ModuleState.LIVE, k.state("dep_early"));
        // an administrator unloads it and lkmd loads it for a device: now it is lkmd's
        k.deleteModule("from_initramfs", 0);
        k.finitModule(ko("from_initramfs"), "", 0);
        c.record(loaded(clock.instant(), "from_initramfs", ""));
        assertEquals(List.of("from_initramfs"), c.sweep());
    }

    @Test
    void aModuleWithUsersOrHoldersOrUnknownRefcountStays() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).release("6.1.0-test").build();
        FakeClock clock = new FakeClock();
        AutoClean c = new AutoClean(k, clock, () -> new DaemonConfig.Autoclean(true, Duration.ZERO, List.of()));
        k.finitModule(ko("used"), "", 0);
        k.finitModule(ko("lib"), "", 0);
        k.finitModule(ko("user", "lib"), "", 0);
        k.finitModule(ko("unreadable"), "", 0);
        c.record(loaded(clock.instant(), "used", ""));
        c.record(loaded(clock.instant(), "user", "lib"));
        c.record(loaded(clock.instant(), "unreadable", ""));
        Files.writeString(root.resolve("sys/module/used/refcnt"), "2\n");
        Files.writeString(root.resolve("sys/module/user/refcnt"), "1\n");
        Files.delete(root.resolve("sys/module/unreadable/refcnt"));
        clock.advance(Duration.ofDays(1));
        assertEquals(List.of(), c.sweep());
        assertEquals(List.of("user"), k.holders("lib"));
        assertEquals(ModuleState.LIVE, k.state("lib"));
    }
}
