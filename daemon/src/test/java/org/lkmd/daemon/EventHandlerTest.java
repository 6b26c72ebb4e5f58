package org.lkmd.daemon;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.loader.FailureCache;
import org.lkmd.loader.HookIo;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.Prober;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import org.lkmd.uevent.Uevent;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One uevent through the rules and the probe path onto a simulated kernel, over the {@code probe} root. */
class EventHandlerTest {
    static final String PCI_DEV = "/devices/pci0000:00/0000:00:01.0";
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";
    static final String RULES = "/etc/lkmd/rules.d/80-drivers.rules";

    @TempDir
    Path tmp;
    Root root;
    Snapshot snapshot;
    EventLog events = new EventLog(16);

    @BeforeEach
    void load() {
        root = Root.of(ScenarioRoot.copy("probe", tmp));
        snapshot = new SnapshotLoader(root, ScenarioRoot.RELEASE, Clock.systemUTC()).load(1, false).value().orElseThrow();
    }

    private EventHandler handler(SimulatedKernel k, boolean simulate) {
        return new EventHandler(root, () -> snapshot, new Prober(k, new ModuleLoader(k)),
                new RulesEngine(root, ProcessProgramRunner.defaults()), events, Clock.systemUTC(), simulate);
    }

    private static Uevent add(String devpath, String subsystem, String modalias, long seq) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", "add");
        p.put("DEVPATH", devpath);
        p.put("SUBSYSTEM", subsystem);
        if (modalias != null) {
            p.put("MODALIAS", modalias);
        }
        p.put("SEQNUM", Long.toString(seq));
        return new Uevent("add", devpath, seq, p);
    }

    private EventRecord only() {
        assertEquals(1, events.records().size());
        return events.records().get(0);
    }

    @Test
    void aRulesKmodLoadLoadsTheModaliasStackAndRecordsItsOrigin() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        handler(k, false).accept(add(PCI_DEV, "pci", PCI, 42));
        assertEquals(List.of("mod_a", "mod_b", "mod_c"), k.loadOrder());
        EventRecord r = only();
        assertEquals(42, r.seqnum());
        assertEquals(EventRecord.Source.UEVENT, r.source());
        assertEquals(List.of(RULES + ":2"), r.rules());
        assertEquals(List.of(new EventRecord.Outcome("mod_c", PCI, EventRecord.Result.LOADED, null, "mod_a mod_b",
                "rule " + RULES + ":2")), r.outcomes());
    }

    @Test
    void udevBlacklistsEveryModuleAndARulesArgumentsAreLoadedAsGiven() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        handler(k, false).accept(add("/devices/platform/blk", "platform", "platform:blk", 7));
        assertEquals(List.of("fat", "vfat"), k.loadOrder());
        assertEquals(List.of(
                new EventRecord.Outcome("blacklisted_drv", "platform:blk", EventRecord.Result.BLACKLISTED, null, "",
                        "rule " + RULES + ":2"),
                new EventRecord.Outcome("vfat", "fs-vfat", EventRecord.Result.LOADED, null, "fat",
                        "rule " + RULES + ":3")), only().outcomes());
    }

    @Test
    void aFailureANotFoundAliasAndALiveModuleAreRecordedAsSuch() {
        SimulatedKernel k = SimulatedKernel.on(root).failing("fails_drv", Errno.ENODEV).build();
        EventHandler h = handler(k, false);
        h.accept(add("/devices/usb1/1-1", "usb", "usb:v0001p0002d0100dc00dsc00dp00ic03isc01ip01in00", 1));
        h.accept(add("/devices/usb1/1-2", "usb", "usb:v9999p0001d0100dc00dsc00dp00ic03isc01ip01in00", 2));
        h.accept(add("/devices/platform/live", "platform", "platform:live", 3));
        List<EventRecord> rs = events.records();
        EventRecord.Outcome failed = rs.get(0).outcomes().get(0);
        assertEquals(EventRecord.Result.FAILED, failed.result());
        assertEquals(Errno.ENODEV, failed.errno());
        assertEquals("could not insert 'fails_drv': No such device", failed.detail());
        assertEquals(EventRecord.Result.NOT_FOUND, rs.get(1).outcomes().get(0).result());
        assertEquals(EventRecord.Result.ALREADY_LOADED, rs.get(2).outcomes().get(0).result());
        assertEquals(List.of(), k.loadOrder());
    }

    @Test
    void eachCpusUeventForAModuleThatFailsForGoodIsOneAttempt() {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        SimulatedKernel k = SimulatedKernel.on(root).failing("fails_drv", Errno.ENODEV)
                .beforeFinit(ko -> tries.addAndGet(ko.getFileName().toString().equals("fails_drv.ko") ? 1 : 0)).build();
        FailureCache cache = new FailureCache(Clock.systemUTC());
        EventHandler h = new EventHandler(root, () -> snapshot, new Prober(k, new ModuleLoader(k,
                ModuleLoader.DEFAULT_HOOK_TIMEOUT, "/bin/sh", HookIo.INHERIT, cache)),
                new RulesEngine(root, ProcessProgramRunner.defaults()), events, Clock.systemUTC(), false);
        for (int cpu = 0; cpu < 4; cpu++) {
            h.accept(add("/devices/usb1/1-" + cpu, "usb", "usb:v0001p0002d0100dc00dsc00dp00ic03isc01ip01in00", cpu + 1));
        }
        assertEquals(1, tries.get());
        List<EventRecord> rs = events.records();
        assertEquals(4, rs.size());
        assertEquals("could not insert 'fails_drv': No such device", rs.get(0).outcomes().get(0).detail());
        for (EventRecord r : rs.subList(1, 4)) {
            EventRecord.Outcome o = r.outcomes().get(0);
            assertEquals(EventRecord.Result.FAILED, o.result());
            assertEquals(Errno.ENODEV, o.errno());
            assertEquals("could not insert 'fails_drv': No such device [from the failure cache]", o.detail());
        }
        assertEquals(3, cache.entries().get(0).answered());
    }

    @Test
    void simulatingPlansWithoutLoading() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        handler(k, true).accept(add(PCI_DEV, "pci", PCI, 5));
        assertEquals(List.of(), k.loadOrder());
        EventRecord.Outcome o = only().outcomes().get(0);
        assertEquals(EventRecord.Result.DRY_RUN, o.result());
        assertEquals("mod_a mod_b", o.detail());
    }
}
