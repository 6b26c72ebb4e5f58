package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code lkmd info} against {@code udevadm info} (systemd 252) on this machine's real {@code /sys}:
 * the attribute walk ({@code -a}) byte for byte on every device below {@code /sys/devices} and a
 * few outside it, the record ({@code P:} ... {@code V:} lines in order, {@code E:} lines as a
 * set, and that set against {@code --query=property}) on every device, and bad arguments (same exit status and message, nothing on stdout).
 *
 * <p>Some attribute values change on their own between udevadm's run and lkmd's (time counters,
 * traffic and I/O statistics); {@link #VOLATILE} names them, and a line of one of them may differ
 * in its value only. The machine runs no udevd: when a udev database exists, the keys only it provides are
 * dropped from udevadm's {@code E:} lines.
 */
class InfoDifferentialTest {
    static final Path UDEVADM = Path.of("/usr/bin/udevadm");

    /**
     * Attributes whose values move while the machine runs: runtime PM time counters, network and
     * block statistics, interrupt and I/O counters, the time stamps of the clock devices, the
     * cpuidle states' residency and usage counters ({@code cpuidle/state1/time}), and a
     * backing device's {@code max_bytes} (a share of the memory free at the time).
     */
    static final Pattern VOLATILE = Pattern.compile(
            "power/runtime_(active|suspended)_time|power/wakeup_(count|active_count|event_count|"
                    + "last_time_ms|total_time_ms|max_time_ms|expire_count|active|abort_count)"
                    + "|statistics/.*|stat|inflight|queues/.*/byte_queue_limits/.*|carrier_(changes|up_count|down_count)"
                    + "|max_bytes|diskseq|since_epoch|time|date|wakealarm|usage|above|below|rejected|.*_count|.*_usecs|.*jiffies.*");

    /** Keys udevadm takes from udev's database, not from the kernel. */
    static final Pattern DB_ONLY = Pattern.compile("ID_.*|USEC_INITIALIZED|TAGS|CURRENT_TAGS|DEVLINKS|SYSTEMD_.*");

    static List<String> devices;
    static int attributeLines;
    static int movedValues;

    @BeforeAll
    static void tools() throws IOException {
        assumeTrue(Files.isExecutable(UDEVADM), "udevadm is not installed");
        assumeTrue(Files.isDirectory(Path.of("/sys/devices")), "no sysfs here");
        Tool t = Tool.exec(List.of(UDEVADM.toString(), "--version"));
        assumeTrue(t.rc() == 0 && t.out().strip().equals("252"), "not udevadm 252: " + t.out());
        try (Stream<Path> s = Files.walk(Path.of("/sys/devices"))) {
            devices = s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> Files.isRegularFile(p.resolve("uevent"), LinkOption.NOFOLLOW_LINKS))
                    .map(Path::toString).sorted().collect(Collectors.toList());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        assertTrue(devices.size() >= 30, "this machine's sysfs has devices: " + devices);
    }

    /** The name, or its last component ({@code cpuidle/state1/time}), is a volatile one. */
    static boolean isVolatile(String name) {
        return VOLATILE.matcher(name).matches() || VOLATILE.matcher(name.substring(name.lastIndexOf('/') + 1)).matches();
    }

    /** The attribute name of a walk's {@code ATTR{name}==} or {@code ATTRS{name}==} line, else null. */
    static String attributeName(String line) {
        int open = line.indexOf('{');
        int close = line.indexOf("}==\"");
        return line.startsWith("    ATTR") && open > 0 && close > open ? line.substring(open + 1, close) : null;
    }

    /**
     * The two walks are the same line for line, except that a volatile attribute's value may
     * differ; null when they agree, else both walks.
     */
    static String walkDiff(String dev, String lkmdArg) {
        Tool u = Tool.exec(List.of(UDEVADM.toString(), "info", "-a", dev));
        Tool l = Tool.lkmd("info", "-a", lkmdArg);
        assertEquals(0, u.rc(), "udevadm info -a " + dev + ": " + u.err());
        assertEquals(0, l.rc(), "lkmd info -a " + lkmdArg + ": " + l.err());
        assertEquals("", l.err(), "lkmd's stderr for " + lkmdArg);
        String[] want = u.out().split("\n", -1);
        String[] got = l.out().split("\n", -1);
        boolean same = want.length == got.length;
        for (int i = 0; same && i < want.length; i++) {
            String name = attributeName(want[i]);
            if (name != null) {
                attributeLines++;
            }
            if (want[i].equals(got[i])) {
                continue;
            }
            String prefix = name == null ? null : want[i].substring(0, want[i].indexOf("}==\"") + 4);
            same = name != null && isVolatile(name) && got[i].startsWith(prefix);
            if (same) {
                movedValues++;
            }
        }
        return same ? null : dev + ":\n--- udevadm\n" + u.out() + "--- lkmd\n" + l.out();
    }

    @Test
    void attributeWalkIsUdevadmsOnEveryDevice() {
        List<String> diffs = new ArrayList<>();
        Set<String> subsystems = new TreeSet<>();
        for (String dev : devices) {
            String d = walkDiff(dev, dev);
            if (d != null) {
                diffs.add(d);
            }
            TriggerDifferentialTest.link(dev, "subsystem").ifPresent(subsystems::add);
        }
        System.out.println("attribute walks compared: " + devices.size() + " devices, subsystems " + subsystems
                + "; attribute lines " + attributeLines + ", of which volatile values that moved between the runs " + movedValues);
        assertTrue(subsystems.size() >= 8, "a broad sample: " + subsystems);
        assertEquals(List.of(), diffs.subList(0, Math.min(diffs.size(), 3)),
                diffs.size() + " of " + devices.size() + " walks differ");
    }

    @Test
    void attributeWalkOfOtherNamesForADevice() {
        String lo = "/sys/devices/virtual/net/lo";
        assumeTrue(Files.isDirectory(Path.of(lo)), "no loopback interface");
        // links under /sys and device nodes name the same device; lkmd also takes a devpath
        assertEquals(null, walkDiff("/sys/class/net/lo", "/sys/class/net/lo"));
        assertEquals(null, walkDiff(lo, "/devices/virtual/net/lo"));
        assertEquals(null, walkDiff(lo + "/", lo + "/"));
        assertEquals(null, walkDiff("/dev/null", "/dev/null"));
        // directories outside /sys/devices are devices too; not below /sys/class, whose
        // zram-control/hot_add makes a new zram device each time it is read
        for (String other : List.of("/sys/bus/platform", "/sys/module/kernel")) {
            if (Files.isDirectory(Path.of(other))) {
                assertEquals(null, walkDiff(other, other));
            }
        }
    }

    /** udevadm's record: the lines before the first blank one, E: lines sorted and db keys dropped. */
    static List<String> record(String out, boolean dropDbKeys) {
        List<String> head = new ArrayList<>();
        TreeSet<String> env = new TreeSet<>();
        for (String line : out.split("\n", -1)) {
            if (line.isEmpty()) {
                break;
            }
            if (line.startsWith("E: ")) {
                String key = line.substring(3, line.indexOf('=') < 0 ? line.length() : line.indexOf('='));
                if (!(dropDbKeys && DB_ONLY.matcher(key).matches())) {
                    env.add(line);
                }
            } else if (!(dropDbKeys && (line.startsWith("S: ") || line.startsWith("L: ")))) {
                head.add(line);
            }
        }
        head.addAll(env);
        return head;
    }

    @Test
    void recordIsUdevadmsKernelPartOnEveryDevice() {
        boolean db = Files.isDirectory(Path.of("/run/udev/data"));
        List<String> diffs = new ArrayList<>();
        int withNode = 0;
        List<String> names = new ArrayList<>(devices);
        // devices outside /sys/devices (a bus, a module, a driver, a class) and a device node
        for (String other : List.of("/sys/bus/platform", "/sys/module/kernel", "/sys/bus/platform/drivers/serial8250",
                "/sys/class/net", "/dev/null")) {
            if (Files.exists(Path.of(other))) {
                names.add(other);
            }
        }
        for (String dev : names) {
            Tool u = Tool.exec(List.of(UDEVADM.toString(), "info", dev));
            Tool l = Tool.lkmd("info", dev);
            assertEquals(0, u.rc(), "udevadm info " + dev + ": " + u.err());
            assertEquals(0, l.rc(), "lkmd info " + dev + ": " + l.err());
            List<String> want = record(u.out(), db);
            List<String> got = record(l.out(), db);
            if (!want.equals(got)) {
                diffs.add(dev + ":\nudevadm " + want + "\nlkmd    " + got);
            }
            Tool q = Tool.exec(List.of(UDEVADM.toString(), "info", "--query=property", dev));
            assertEquals(0, q.rc(), "udevadm info --query=property " + dev + ": " + q.err());
            TreeSet<String> props = q.out().lines()
                    .filter(x -> !(db && DB_ONLY.matcher(x.substring(0, Math.max(0, x.indexOf('=')))).matches()))
                    .map(x -> "E: " + x).collect(Collectors.toCollection(TreeSet::new));
            TreeSet<String> lkmdProps = got.stream().filter(x -> x.startsWith("E: "))
                    .collect(Collectors.toCollection(TreeSet::new));
            if (!props.equals(lkmdProps)) {
                diffs.add(dev + " --query=property:\nudevadm " + props + "\nlkmd    " + lkmdProps);
            }
            if (got.stream().anyMatch(x -> x.startsWith("N: "))) {
                withNode++;
            }
            String lkmdPart = l.out().substring(l.out().indexOf("\n\n") + 2);
            assertTrue(lkmdPart.startsWith("driver: "), "lkmd's lines follow udevadm's record: " + l.out());
            TriggerDifferentialTest.link(dev, "driver").ifPresent(drv ->
                    assertTrue(lkmdPart.startsWith("driver: " + drv + "\nmodule: "), l.out()));
        }
        System.out.println("records compared: " + names.size() + " devices (" + withNode + " with a node), udev db: " + db);
        assertTrue(withNode > 0, "some devices have a node");
        assertEquals(List.of(), diffs.subList(0, Math.min(diffs.size(), 3)),
                diffs.size() + " of " + names.size() + " records differ");
    }

    @Test
    void badArgumentsFailLikeUdevadm() {
        for (List<String> args : List.of(List.of("/sys/nonexistent"), List.of("-a", "/devices/nope"),
                List.of("/sys/devices"), List.of("-a", "/sys"), List.of("/proc"), List.of("foo"), List.of(""),
                List.of("devices/platform"), List.of("-a", "sys/devices/platform"),
                List.of("-a", "/sys/devices/platform/pcspkr/driver_override"), List.of("/dev/nonexistent"),
                List.of("-a", "/sys/devices/../devices/nope"))) {
            List<String> cmd = Tool.list(UDEVADM.toString(), "info");
            cmd.addAll(args);
            Tool u = Tool.exec(cmd);
            List<String> lk = Tool.list("info");
            lk.addAll(args);
            Tool l = Tool.lkmd(lk.toArray(String[]::new));
            assertEquals(1, u.rc(), "udevadm " + args);
            assertEquals(u.rc(), l.rc(), "exit status of " + args + ": " + l.err());
            assertEquals("", u.out(), "udevadm's stdout for " + args);
            assertEquals("", l.out(), "stdout for " + args);
            assertEquals(u.err(), l.err(), "message for " + args);
        }
    }
}
