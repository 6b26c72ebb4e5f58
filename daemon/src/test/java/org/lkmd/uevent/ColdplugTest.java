package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;

/** Coldplug on a fake sysfs tree built per test. */
class ColdplugTest {
    @TempDir
    Path root;

    private Path sys(String rel) {
        return root.resolve("sys").resolve(rel);
    }

    private void file(String rel, String content) throws IOException {
        Path p = sys(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private void link(String rel, String target) throws IOException {
        Path p = sys(rel);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of(target));
    }

    private void device(String devpath, String modalias, String subsystemTarget) throws IOException {
        file(devpath + "/uevent", "");
        if (modalias != null) {
            file(devpath + "/modalias", modalias + "\n");
        }
        int depth = devpath.split("/").length;
        link(devpath + "/subsystem", "../".repeat(depth) + subsystemTarget);
    }

    /** pci root with a device and a usb child, pcspkr bound to a driver, lo without modalias. */
    private void fakeTree() throws IOException {
        device("devices/pci0000:00/0000:00:01.0", "pci:v00008086d00007000sv00000000sd00000000bc06sc01i00", "bus/pci");
        device("devices/pci0000:00/0000:00:01.0/usb1", "usb:v1D6Bp0002d0606dc09dsc00dp01ic09isc00ip00in00", "bus/usb");
        device("devices/platform/pcspkr", "platform:pcspkr", "bus/platform");
        link("devices/platform/pcspkr/driver", "../../../bus/platform/drivers/pcspkr");
        device("devices/virtual/net/lo", null, "class/net");
        file("devices/platform/pcspkr/power/uevent-like", "not a device");
        file("bus/pci/uevent", "");
        file("bus/platform/uevent", "");
        file("bus/usb/uevent", "");
        file("bus/platform/drivers/pcspkr/uevent", "");
        file("module/pcspkr/uevent", "");
        Files.createDirectories(sys("module/builtin_without_uevent"));
        link("bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
        link("bus/usb/devices/usb1", "../../../devices/pci0000:00/0000:00:01.0/usb1");
        link("bus/platform/devices/pcspkr", "../../../devices/platform/pcspkr");
        link("class/net/lo", "../../devices/virtual/net/lo");
        link("class/input/pcspkr-again", "../../devices/platform/pcspkr"); // same device twice
        link("class/input/gone", "../../devices/platform/unplugged");     // dangling
    }

    @Test
    void subsystemsAreModulesBusesAndDrivers() throws IOException {
        fakeTree();
        assertEquals(List.of(sys("module/pcspkr/uevent"), sys("bus/pci/uevent"),
                        sys("bus/platform/uevent"), sys("bus/platform/drivers/pcspkr/uevent"), sys("bus/usb/uevent")),
                new Coldplug(Root.of(root)).subsystemUeventFiles());
    }

    @Test
    void devicesAreDedupedByRealPathInDevpathOrderParentsFirst() throws IOException {
        fakeTree();
        List<Path> devices = new Coldplug(Root.of(root)).deviceUeventFiles();
        assertEquals(List.of(
                sys("devices/pci0000:00/0000:00:01.0/uevent"),
                sys("devices/pci0000:00/0000:00:01.0/usb1/uevent"),
                sys("devices/platform/pcspkr/uevent"),
                sys("devices/virtual/net/lo/uevent")), devices);
    }

    @Test
    void triggerWritesActionAndUuidToSubsystemsThenDevices() throws IOException {
        fakeTree();
        UUID uuid = UUID.fromString("7dcb8cc0-0000-4000-8000-000000000001");
        Coldplug.TriggerReport r = new Coldplug(Root.of(root)).trigger("add", Optional.of(uuid));
        assertEquals(9, r.written().size());
        assertEquals(sys("module/pcspkr/uevent"), r.written().get(0));
        assertEquals(sys("devices/virtual/net/lo/uevent"), r.written().get(8));
        for (Path p : r.written()) {
            assertEquals("add 7dcb8cc0-0000-4000-8000-000000000001", Files.readString(p), p.toString());
        }
        assertEquals(Map.of(), r.failed());
        assertEquals("not a device", Files.readString(sys("devices/platform/pcspkr/power/uevent-like")));
    }

    @Test
    void triggerWithoutUuidWritesTheBareActionAndCarriesOnPastAFailedWrite() throws IOException {
        fakeTree();
        Path readOnly = Path.of("/sys/kernel/uevent_seqnum"); // sysfs refuses writes even to root
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(readOnly));
        Path bad = sys("devices/platform/pcspkr/uevent");
        Files.delete(bad);
        Files.createSymbolicLink(bad, readOnly);
        Coldplug.TriggerReport r = new Coldplug(Root.of(root)).trigger("change", Optional.empty());
        assertEquals(List.of(bad), List.copyOf(r.failed().keySet()));
        assertEquals(8, r.written().size());
        assertEquals("change", Files.readString(sys("bus/pci/uevent")));
        assertEquals("change", Files.readString(sys("devices/virtual/net/lo/uevent")), "stopped after the failure");
    }

    @Test
    void triggerRefusesAnActionTheKernelDoesNotKnow() {
        Coldplug c = new Coldplug(Root.of(root));
        assertThrows(IllegalArgumentException.class, () -> c.trigger("add; rm", Optional.empty()));
    }

    @Test
    void scanSynthesisesAddEventsFromModaliasFiles() throws IOException {
        fakeTree();
        List<Uevent> events = new Coldplug(Root.of(root)).scan();
        assertEquals(3, events.size());
        Uevent pci = events.get(0);
        assertEquals("/devices/pci0000:00/0000:00:01.0", pci.devpath());
        assertEquals("add", pci.action());
        assertEquals(-1, pci.seqnum());
        assertEquals(Map.of("ACTION", "add", "DEVPATH", "/devices/pci0000:00/0000:00:01.0", "SUBSYSTEM", "pci",
                "MODALIAS", "pci:v00008086d00007000sv00000000sd00000000bc06sc01i00"), pci.properties());
        assertEquals("usb", events.get(1).subsystem());
        Uevent spk = events.get(2);
        assertEquals("platform:pcspkr", spk.modalias());
        assertEquals("pcspkr", spk.get("DRIVER"));
        assertEquals(List.of("ACTION", "DEVPATH", "SUBSYSTEM", "DRIVER", "MODALIAS"), List.copyOf(spk.properties().keySet()));
    }

    @Test
    void scanTakesModaliasFromTheUeventFileFirstAndSkipsDirectoriesWithoutSubsystem() throws IOException {
        // As on real x86: the cpu root has a modalias file but is not a device; cpuN only say it in uevent.
        file("devices/system/cpu/modalias", "cpu:type:x86,ven0002:feature:,0001\n");
        file("devices/system/cpu/uevent", "");
        device("devices/system/cpu/cpu0", null, "bus/cpu");
        file("devices/system/cpu/cpu0/uevent", "MODALIAS=cpu:type:x86,ven0002:feature:,0001\n");
        device("devices/platform/both", "platform:from-file", "bus/platform");
        file("devices/platform/both/uevent", "DRIVER=x\nMODALIAS=platform:from-uevent\n");
        List<Uevent> events = new Coldplug(Root.of(root)).scan();
        assertEquals(List.of("/devices/platform/both", "/devices/system/cpu/cpu0"),
                events.stream().map(Uevent::devpath).toList());
        assertEquals("platform:from-uevent", events.get(0).modalias());
        assertEquals("cpu:type:x86,ven0002:feature:,0001", events.get(1).modalias());
        assertEquals("cpu", events.get(1).subsystem());
    }

    @Test
    void scanSkipsEmptyAndOversizedModaliasAndMissingSys() throws IOException {
        assertEquals(List.of(), new Coldplug(Root.of(root)).scan());
        device("devices/a", "", "bus/x");
        device("devices/b", "x".repeat(Coldplug.MAX_ATTRIBUTE + 10), "bus/x");
        device("devices/c", "acpi:PNP0A03:", "bus/acpi");
        assertEquals(List.of("/devices/c"), new Coldplug(Root.of(root)).scan().stream().map(Uevent::devpath).toList());
    }

    @Test
    void scanAddGivesTheEventsATriggerWouldCauseInTriggerOrderAndWritesNothing() throws IOException {
        fakeTree();
        file("devices/platform/pcspkr/uevent", "DRIVER=pcspkr\nMODALIAS=platform:pcspkr\n");
        file("devices/virtual/net/lo/uevent", "INTERFACE=lo\nIFINDEX=1\n");
        Coldplug c = new Coldplug(Root.of(root));
        List<Uevent> events = c.scanAdd();
        List<Path> triggered = new java.util.ArrayList<>(c.subsystemUeventFiles());
        triggered.addAll(c.deviceUeventFiles());
        // one event per file trigger would write, in the same order
        assertEquals(triggered.stream().map(p -> "/" + sys("").relativize(p.getParent()).toString().replace('\\', '/')).toList(),
                events.stream().map(Uevent::devpath).toList());
        assertEquals(List.of("module", "bus", "bus", "drivers", "bus", "pci", "usb", "platform", "net"),
                events.stream().map(Uevent::subsystem).toList());
        Uevent module = events.get(0);
        assertEquals(Map.of("ACTION", "add", "DEVPATH", "/module/pcspkr", "SUBSYSTEM", "module"), module.properties());
        assertEquals("pcspkr", module.kernelName());
        assertEquals("/bus/platform/drivers/pcspkr", events.get(3).devpath());
        Uevent spk = events.get(7);
        assertEquals(List.of("ACTION", "DEVPATH", "SUBSYSTEM", "DRIVER", "MODALIAS"), List.copyOf(spk.properties().keySet()));
        assertEquals("platform:pcspkr", spk.modalias());
        assertEquals(-1, spk.seqnum());
        // a device announces only what its uevent file says (the modalias file alone is not in the kernel's event)
        assertEquals(null, events.get(5).modalias());
        assertEquals("lo", events.get(8).get("INTERFACE"));
        for (Path p : triggered) {
            assertTrue(Files.readString(p).equals("") || Files.readString(p).contains("="), "written: " + p);
        }
    }

    @Test
    void scanAddSkipsAnUnreadableOrOversizedUeventFile() throws IOException {
        device("devices/platform/a", null, "bus/platform");
        device("devices/platform/b", null, "bus/platform");
        file("devices/platform/b/uevent", "X=" + "y".repeat(Coldplug.MAX_ATTRIBUTE));
        link("bus/platform/devices/a", "../../../devices/platform/a");
        link("bus/platform/devices/b", "../../../devices/platform/b");
        assertEquals(List.of("/devices/platform/a"), new Coldplug(Root.of(root)).scanAdd().stream().map(Uevent::devpath).toList());
    }

    @Test
    void modeParsesCaseInsensitively() {
        assertEquals(Coldplug.Mode.TRIGGER, Coldplug.Mode.parse("trigger"));
        assertEquals(Coldplug.Mode.SCAN, Coldplug.Mode.parse(" Scan "));
        assertEquals(Coldplug.Mode.OFF, Coldplug.Mode.parse("OFF"));
        assertThrows(IllegalArgumentException.class, () -> Coldplug.Mode.parse("sometimes"));
    }
}
