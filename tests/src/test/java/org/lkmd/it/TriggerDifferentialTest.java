package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code lkmd trigger --dry-run} against {@code udevadm trigger --dry-run --verbose} (systemd 252)
 * on this machine's real {@code /sys}: for a table of filter combinations (each filter alone, two
 * ANDed, two values ORed, nomatch, parent match, a filter matching nothing, {@code --type=subsystems}),
 * the same set of paths and the same exit status. Nothing is written. udevadm lists every
 * directory its enumerator accepts, and when triggering ignores the ENOENT of those without a
 * {@code uevent} file (the drivers/ directory of a bus, a builtin module); lkmd lists only those the
 * kernel can send an event for, so those paths are dropped from udevadm's set before comparing.
 * Values (vendors, drivers, names, the parent) are taken from this machine's devices.
 */
class TriggerDifferentialTest {
    static final Path UDEVADM = Path.of("/usr/bin/udevadm");
    static List<String> all;

    @BeforeAll
    static void tools() {
        assumeTrue(Files.isExecutable(UDEVADM), "udevadm is not installed");
        assumeTrue(Files.isDirectory(Path.of("/sys/devices")), "no sysfs here");
        Tool t = Tool.exec(List.of(UDEVADM.toString(), "--version"));
        assumeTrue(t.rc() == 0 && t.out().strip().equals("252"), "not udevadm 252: " + t.out());
        all = udevadm().paths;
        assertTrue(all.size() > 20, "this machine's sysfs has devices: " + all);
    }

    record Run(int rc, List<String> paths, String err) {
    }

    static Run udevadm(String... filters) {
        List<String> cmd = Tool.list(UDEVADM.toString(), "trigger", "--dry-run", "--verbose");
        cmd.addAll(List.of(filters));
        Tool t = Tool.exec(cmd);
        return new Run(t.rc(), t.out().lines().toList(), t.err());
    }

    static Run lkmd(String... filters) {
        List<String> args = Tool.list("trigger", "--dry-run", "--verbose");
        args.addAll(List.of(filters));
        Tool t = Tool.lkmd(args.toArray(String[]::new));
        return new Run(t.rc(), t.out().lines().toList(), t.err());
    }

    static boolean hasUevent(String dir) {
        return Files.isRegularFile(Path.of(dir, "uevent"), LinkOption.NOFOLLOW_LINKS);
    }

    /** Same exit status and, once udevadm's paths without a uevent file are dropped, the same paths. */
    static TreeSet<String> assertSame(String... filters) {
        Run u = udevadm(filters);
        Run l = lkmd(filters);
        String what = String.join(" ", filters);
        assertEquals(u.rc(), l.rc(), "exit status of " + what + "\nudevadm: " + u.err() + "\nlkmd: " + l.err());
        TreeSet<String> expected = new TreeSet<>(u.paths().stream().filter(TriggerDifferentialTest::hasUevent).toList());
        TreeSet<String> got = new TreeSet<>(l.paths());
        assertEquals(expected, got, "paths of " + what);
        assertEquals(expected.size(), l.paths().size(), "each path once: " + what);
        if (u.rc() == 0) {
            assertEquals("", l.err(), "stderr of " + what);
        }
        return got;
    }

    static String attr(String dir, String name) {
        try {
            return Files.readString(Path.of(dir, name)).replaceAll("\n+$", "");
        } catch (IOException e) {
            return null;
        }
    }

    static Optional<String> link(String dir, String name) {
        Path p = Path.of(dir, name);
        try {
            return Files.isSymbolicLink(p) ? Optional.of(Files.readSymbolicLink(p).getFileName().toString()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A filter that keeps some devices but not all: it did filter. */
    static void assertNarrows(TreeSet<String> kept, String what) {
        assertFalse(kept.isEmpty(), what + " keeps something");
        assertTrue(kept.size() < all.size(), what + " leaves something out");
    }

    @Test
    void subsystemFilters() {
        List<String> subsystems = all.stream().map(d -> link(d, "subsystem")).flatMap(Optional::stream).distinct().sorted().toList();
        assertTrue(subsystems.size() >= 3, subsystems.toString());
        String a = subsystems.get(0);
        String b = subsystems.get(subsystems.size() - 1);
        assertNarrows(assertSame("-s", a), "-s " + a);
        assertSame("--subsystem-match=" + a.charAt(0) + "*");
        TreeSet<String> or = assertSame("-s", a, "-s", b);
        assertEquals(new TreeSet<>(Stream.concat(assertSame("-s", a).stream(), assertSame("-s", b).stream()).toList()), or,
                "two subsystems OR");
        assertNarrows(assertSame("-S", a), "-S " + a);
        assertSame("-S", a, "--subsystem-nomatch", b);
        assertSame("-s", a, "-S", a);
        assertSame("-s", "?*", "-S", a.charAt(0) + "*");
    }

    @Test
    void attributeFilters() {
        List<String> withVendor = all.stream().filter(d -> attr(d, "vendor") != null).toList();
        assumeTrue(!withVendor.isEmpty(), "no device with a vendor attribute");
        List<String> vendors = withVendor.stream().map(d -> attr(d, "vendor")).distinct().sorted().toList();
        String v = vendors.get(0);
        assertNarrows(assertSame("-a", "vendor"), "-a vendor");
        assertNarrows(assertSame("-a", "vendor=" + v), "-a vendor=" + v);
        assertSame("--attr-match=vendor=" + v.substring(0, v.length() - 1) + "?");
        assertSame("-a", "vendor=" + v, "-a", "vendor=" + vendors.get(vendors.size() - 1));
        assertSame("-a", "vendor=" + v, "-a", "vendor");
        assertSame("-a", "vendor", "-a", "vendor=" + v);
        assertSame("-a", "vendor", "-a", "device");
        assertNarrows(assertSame("-A", "vendor"), "-A vendor");
        assertSame("-A", "vendor=" + v);
        assertSame("-a", "vendor", "--attr-nomatch", "vendor=" + v);
        // links udev reads as their target's name, a link it does not read, a write-only file
        assertSame("-a", "driver");
        assertSame("-a", "subsystem=" + link(withVendor.get(0), "subsystem").orElseThrow());
        assertSame("-a", "firmware_node");
        assertSame("-a", "remove");
        assertSame("-a", "power/control=*");
        // trailing space kept, trailing newline dropped
        assertSame("-a", "available_clocksource=* ");
        assertSame("-a", "available_clocksource=*[a-z]");
        assertSame("-a", "vendor=nosuchvalue");
    }

    @Test
    void propertyAndSysnameFilters() {
        List<String> drivers = all.stream().map(d -> link(d, "driver")).flatMap(Optional::stream).distinct().sorted().toList();
        assumeTrue(drivers.size() >= 2, "fewer than two bound drivers");
        assertNarrows(assertSame("-p", "DRIVER=" + drivers.get(0)), "-p DRIVER=");
        assertSame("-p", "DRIVER=" + drivers.get(0), "--property-match=DRIVER=" + drivers.get(1));
        assertSame("-p", "DRIVER=" + drivers.get(0), "-p", "SUBSYSTEM=" + link(all.get(0), "subsystem").orElseThrow());
        assertSame("-p", "DEVPATH=/devices/*");
        assertSame("-p", "DEVNAME=/dev/*");
        assertSame("-p", "MODALIAS=*", "-s", link(all.get(all.size() - 1), "subsystem").orElseThrow());
        assertSame("-p", "*=*", "-A", "vendor");
        String name = Path.of(all.get(all.size() / 2)).getFileName().toString();
        assertNarrows(assertSame("-y", name), "-y " + name);
        assertSame("--sysname-match=" + name.charAt(0) + "*");
        assertSame("-y", name, "-y", Path.of(all.get(0)).getFileName().toString());
        assertSame("-y", name.charAt(0) + "*", "-p", "DRIVER=*");
        assertSame("-p", "DRIVER=nosuchdriver");
    }

    @Test
    void parentFilters() {
        String parent = all.stream()
                .filter(p -> all.stream().anyMatch(c -> c.startsWith(p + "/")))
                .filter(p -> !p.startsWith("/sys/devices/virtual"))
                .findFirst().orElseThrow();
        TreeSet<String> below = assertSame("-b", parent);
        assertTrue(below.size() >= 2 && below.contains(parent), below.toString());
        assertNarrows(below, "-b " + parent);
        assertSame("--parent-match=" + parent.substring("/sys".length()));
        assertSame("-b", parent + "/");
        assertSame("-b", parent, "-b", "/sys/devices/virtual");
        assertSame("-b", "/sys/devices/virtual", "-S", "mem");
        assertSame("-b", parent, "-s", link(parent, "subsystem").orElseThrow());
        assertSame("-b", Path.of(parent).getParent().toString());
        assertSame("-b", "/sys/bus/" + link(parent, "subsystem").orElseThrow());
        assertSame("-b", "/sys/devices/system/cpu");
        for (String cls : List.of("/sys/class/block", "/sys/class/net", "/sys/class/tty")) {
            try (Stream<Path> s = Files.list(Path.of(cls))) {
                Optional<Path> first = s.sorted().findFirst();
                if (first.isPresent()) {
                    assertSame("-b", first.get().toString());
                }
            } catch (IOException e) {
                // class not on this machine
            }
        }
        assertSame("-b", "/dev/null");
    }

    @Test
    void badParentsAndFiltersMatchingNothing() {
        for (String bad : List.of("/sys/devices/nonexistent", "/sys/devices", "/sys", "devices/nonexistent", "nosuchname")) {
            Run u = udevadm("-b", bad);
            Run l = lkmd("-b", bad);
            assertEquals(1, u.rc(), u.err());
            assertEquals(u.rc(), l.rc(), bad);
            assertEquals(List.of(), l.paths());
            // udevadm: "Failed to open the device '...': No such device"; lkmd says the same after its name
            assertEquals("lkmd trigger: " + u.err().strip(), l.err().strip(), bad);
        }
        assertTrue(assertSame("-s", "nosuchsubsystem").isEmpty());
        assertTrue(assertSame("-y", "nosuchname").isEmpty());
        assertTrue(assertSame("-a", "nosuchattribute").isEmpty());
        assertTrue(assertSame("-s", "pci", "-S", "pci").isEmpty());
    }

    @Test
    void subsystemsType() {
        TreeSet<String> subsystems = assertSame("--type=subsystems");
        assertTrue(subsystems.stream().anyMatch(p -> p.startsWith("/sys/bus/")), subsystems.toString());
        assertNarrows(assertSame("--type=subsystems", "-s", "drivers"), "--type=subsystems -s drivers");
        assertSame("-t", "subsystems", "-s", "subsystem");
        assertSame("-t", "subsystems", "-s", "module");
        assertSame("-t", "subsystems", "-s", "pci");
        assertSame("-t", "subsystems", "-b", "/sys/bus/pci");
        assertSame("-t", "subsystems", "-y", "p*");
        assertSame("-t", "subsystems", "-p", "SUBSYSTEM=drivers", "-y", "v*");
        assertSame("-t", "subsystems", "-a", "drivers_autoprobe=1");
        assertSame("-t", "subsystems", "-A", "drivers_autoprobe");
    }

    @Test
    void noFilterAtAll() {
        assertEquals(new ArrayList<>(new TreeSet<>(all.stream().filter(TriggerDifferentialTest::hasUevent).toList())),
                new ArrayList<>(assertSame()));
    }
}
