package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;

/** Which directories of a fake sysfs tree are devices, and their subsystems, as sd-device sees them. */
class SysfsTreeTest {
    @TempDir
    Path root;
    SysfsTree tree;
    Path sys;

    private Path dir(String rel) throws IOException {
        return Files.createDirectories(sys.resolve(rel));
    }

    private void file(String rel, String content) throws IOException {
        Path p = sys.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private void link(String rel, String target) throws IOException {
        Path p = sys.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of(target));
    }

    @BeforeEach
    void tree() throws IOException {
        sys = Files.createDirectories(root.resolve("sys")).toRealPath();
        // a root bus without subsystem, a PCI device, its virtio child, a disk below an element
        // that is no device (no uevent), and the links udev follows
        file("devices/pci0000:00/uevent", "");
        file("devices/pci0000:00/0000:00:02.0/uevent", "DRIVER=virtio-pci\nPCI_ID=1AF4:1042\n");
        link("devices/pci0000:00/0000:00:02.0/subsystem", "../../../bus/pci");
        file("devices/pci0000:00/0000:00:02.0/virtio1/uevent", "");
        link("devices/pci0000:00/0000:00:02.0/virtio1/subsystem", "../../../../bus/virtio");
        file("devices/pci0000:00/0000:00:02.0/virtio1/block/vda/uevent", "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n");
        link("devices/pci0000:00/0000:00:02.0/virtio1/block/vda/subsystem", "../../../../../../class/block");
        dir("devices/pci0000:00/0000:00:02.0/power");
        dir("bus/pci/drivers/virtio-pci");
        file("bus/pci/uevent", "");
        file("bus/pci/drivers/virtio-pci/uevent", "");
        dir("bus/virtio");
        dir("class/block");
        link("class/block/vda", "../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
        link("dev/block/254:0", "../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
        dir("module/virtio_net/parameters");
        tree = new SysfsTree(Root.of(root));
    }

    @Test
    void parentMatchNamesADeviceBySysPathDevpathClassLinkOrNot() {
        Path pci = sys.resolve("devices/pci0000:00/0000:00:02.0");
        assertEquals(Optional.of(pci), tree.findDevice("/sys/devices/pci0000:00/0000:00:02.0"));
        assertEquals(Optional.of(pci), tree.findDevice("/sys/devices/pci0000:00/0000:00:02.0/"));
        assertEquals(Optional.of(pci), tree.findDevice("/devices/pci0000:00/0000:00:02.0"));
        assertEquals(Optional.of(pci), tree.findDevice("devices/pci0000:00/0000:00:02.0"));
        assertEquals(Optional.of(pci.resolve("virtio1/block/vda")), tree.findDevice("/sys/class/block/vda"));
        assertEquals(Optional.of(sys.resolve("bus/pci")), tree.findDevice("/sys/bus/pci"));
        // not devices: no uevent below /sys/devices, a file, /sys and /sys/devices themselves, missing
        assertEquals(Optional.empty(), tree.findDevice("/sys/devices/pci0000:00/0000:00:02.0/power"));
        assertEquals(Optional.empty(), tree.findDevice("/sys/devices/pci0000:00/0000:00:02.0/uevent"));
        assertEquals(Optional.empty(), tree.findDevice("/sys"));
        assertEquals(Optional.empty(), tree.findDevice("/sys/devices"));
        assertEquals(Optional.empty(), tree.findDevice("/sys/devices/nonexist"));
        assertEquals(Optional.empty(), tree.findDevice("vda"));
        assertEquals(Optional.empty(), tree.findDevice(""));
        assertEquals(Optional.empty(), tree.findDevice("/sys/../etc"));
    }

    @Test
    void subsystemsAreTheLinkOrImplicit() {
        assertEquals(Optional.of("pci"), tree.subsystem(sys.resolve("devices/pci0000:00/0000:00:02.0")));
        assertEquals(Optional.empty(), tree.subsystem(sys.resolve("devices/pci0000:00")));
        assertEquals(Optional.of("subsystem"), tree.subsystem(sys.resolve("bus/pci")));
        assertEquals(Optional.of("drivers"), tree.subsystem(sys.resolve("bus/pci/drivers")));
        assertEquals(Optional.of("drivers"), tree.subsystem(sys.resolve("bus/pci/drivers/virtio-pci")));
        assertEquals(Optional.of("module"), tree.subsystem(sys.resolve("module/virtio_net")));
        assertEquals(Optional.of("module"), tree.subsystem(sys.resolve("module/virtio_net/parameters")));
        assertEquals(Optional.empty(), tree.subsystem(sys.resolve("module")), "/module has no trailing element");
        assertEquals(Optional.empty(), tree.subsystem(sys.resolve("bus")));
    }

    @Test
    void belowAParentEveryDeviceWithASubsystemAndAUeventFile() {
        Path pci = sys.resolve("devices/pci0000:00/0000:00:02.0");
        assertEquals(List.of(pci.resolve("uevent"), pci.resolve("virtio1/uevent"), pci.resolve("virtio1/block/vda/uevent")),
                tree.ueventFilesUnder(pci));
        Path rootBus = sys.resolve("devices/pci0000:00");
        assertEquals(tree.ueventFilesUnder(pci), tree.ueventFilesUnder(rootBus), "the root bus has no subsystem");
        assertEquals(List.of(sys.resolve("bus/pci/uevent"), sys.resolve("bus/pci/drivers/virtio-pci/uevent")),
                tree.ueventFilesUnder(sys.resolve("bus/pci")), "drivers/ itself has no uevent file");
        assertEquals(List.of(), tree.ueventFilesUnder(sys.resolve("module/virtio_net")));
    }

    @Test
    void propertiesAsUdevSeesThem() {
        Map<String, String> p = tree.properties(sys.resolve("devices/pci0000:00/0000:00:02.0/virtio1/block/vda"));
        assertEquals("/devices/pci0000:00/0000:00:02.0/virtio1/block/vda", p.get("DEVPATH"));
        assertEquals("block", p.get("SUBSYSTEM"));
        assertEquals("/dev/vda", p.get("DEVNAME"));
        assertEquals("disk", p.get("DEVTYPE"));
        assertTrue(tree.properties(sys.resolve("devices/pci0000:00")).keySet().equals(java.util.Set.of("DEVPATH")));
    }
}
