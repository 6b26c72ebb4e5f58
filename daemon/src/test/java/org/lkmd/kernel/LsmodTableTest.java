package org.lkmd.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LsmodTableTest {
    @TempDir
    Path root;

    @Test
    void usedByIsTheHoldersDirectoryInItsOwnOrderNotProcModulesUsers() throws IOException {
        // /proc/modules names the users in the kernel's list order; kmod's lsmod prints the holders
        // directory as readdir gives it, and so must lkmd's
        Path holders = Files.createDirectories(root.resolve("sys/module/hid/holders"));
        for (String h : List.of("usbhid", "hid_generic", "uhid")) {
            Files.writeString(holders.resolve(h), "");
        }
        Files.createDirectories(root.resolve("sys/module/usbhid/holders"));
        List<String> readdirOrder = new ArrayList<>();
        try (var ds = Files.newDirectoryStream(holders)) {
            ds.forEach(p -> readdirOrder.add(p.getFileName().toString()));
        }
        // /proc/modules with the users in the other order, so the two cannot agree by chance
        List<String> users = new ArrayList<>(readdirOrder);
        java.util.Collections.reverse(users);
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/modules"), "usbhid 73728 0 - Live 0x0000000000000000\n"
                + "hid 163840 3 " + String.join(",", users) + ", Live 0x0000000000000000\n"
                // crc16: no holders directory at all (a module gone meanwhile): no users printed
                + "crc16 16384 0 - Live 0x0000000000000000\n");
        LinuxKernel kernel = LinuxKernel.open(Root.of(root), "6.1.0-test");
        assertEquals("Module                  Size  Used by\n"
                + "usbhid                 73728  0\n"
                + "hid                   163840  3 " + String.join(",", readdirOrder) + "\n"
                + "crc16                  16384  0\n", LsmodTable.of(kernel));
    }
}
