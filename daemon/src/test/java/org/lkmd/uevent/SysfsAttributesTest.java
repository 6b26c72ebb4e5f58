package org.lkmd.uevent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SysfsAttributesTest {

    @Test
    void listsFilesAndLinksOfTheDeviceAndOfSubdirectoriesThatAreNotDevices(@TempDir Path dev) throws Exception {
        Files.writeString(dev.resolve("uevent"), "");
        Files.writeString(dev.resolve("vendor"), "0x8086\n");
        Files.createDirectories(dev.resolve("power/deep"));
        Files.writeString(dev.resolve("power/control"), "auto\n");
        Files.writeString(dev.resolve("power/deep/x"), "1\n");
        Files.createDirectories(dev.resolve("child"));
        Files.writeString(dev.resolve("child/uevent"), "");
        Files.writeString(dev.resolve("child/vendor"), "0x1\n");
        Files.createSymbolicLink(dev.resolve("subsystem"), Path.of("../../bus/pci"));
        Files.writeString(dev.resolve("hidden"), "x");
        Files.setPosixFilePermissions(dev.resolve("hidden"), PosixFilePermissions.fromString("---r--r--"));
        assertEquals(List.of("power/control", "power/deep/x", "subsystem", "uevent", "vendor"),
                List.copyOf(SysfsAttributes.names(dev)));
    }

    @Test
    void readsValuesAsSdDeviceDoes(@TempDir Path dev) throws Exception {
        Files.writeString(dev.resolve("crlf"), "a b\r\n\n");
        Files.write(dev.resolve("nul"), new byte[] {'a', 0, 'b', '\n'});
        Files.writeString(dev.resolve("remove"), "");
        Files.setPosixFilePermissions(dev.resolve("remove"), PosixFilePermissions.fromString("-w-------"));
        Files.createSymbolicLink(dev.resolve("driver"), Path.of("../../bus/pci/drivers/e1000"));
        Files.createSymbolicLink(dev.resolve("firmware_node"), Path.of("../../LNXSYSTM:00"));
        assertEquals(Optional.of(new SysfsAttributes.Value("a b", true)), SysfsAttributes.read(dev, "crlf"));
        assertEquals(Optional.of(new SysfsAttributes.Value("a", true)), SysfsAttributes.read(dev, "nul"));
        assertEquals(Optional.of(SysfsAttributes.Value.NOT_READABLE), SysfsAttributes.read(dev, "remove"));
        assertEquals(Optional.of(new SysfsAttributes.Value("e1000", true)), SysfsAttributes.read(dev, "driver"));
        assertEquals(Optional.empty(), SysfsAttributes.read(dev, "firmware_node"));
        assertEquals(Optional.empty(), SysfsAttributes.read(dev, "missing"));
    }
}
