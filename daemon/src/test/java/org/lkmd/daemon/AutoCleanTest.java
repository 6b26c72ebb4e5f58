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
}
