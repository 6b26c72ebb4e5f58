package org.lkmd.cli;

import org.lkmd.daemon.Snapshot;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.rules.RuleOutcome;
import org.lkmd.rules.RunEntry;
import org.lkmd.uevent.DeviceUevent;
import org.lkmd.uevent.SysfsAttributes;
import org.lkmd.uevent.SysfsTree;
import org.lkmd.uevent.Uevent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@code lkmd info DEVICE}: what udevadm 252's {@code udevadm info} prints of a device from the
 * kernel's side (there is no udev database here), then the bound driver and its module, the rules
 * that match an {@code add} event of the device and what their {@code kmod load} would resolve
 * to; with {@code -a}, udevadm's attribute walk byte for byte. Needs no daemon, loads nothing.
 */
@Command(name = "info", description = "Show a device's properties, driver, matching rules and modules, or its attribute walk.")
public final class Info extends Verb {
    @Parameters(paramLabel = "DEVICE", description = "/sys/devices/..., /devices/..., a path under /sys, or a device node /dev/...")
    String device;

    @Option(names = {"-a", "--attribute-walk"}, description = "Print the device's and its parents' attributes in udev rules key format.")
    boolean attributeWalk;

    @Override
    public Integer call() {
        SysfsTree tree = new SysfsTree(root());
        // udevadm takes a relative name without '/' for a unit name (none here), and finds no
        // device for any other relative path
        if (!device.startsWith("/") && !device.contains("/")) {
            err().println("Bad argument \"" + device + "\", expected an absolute path in /dev/ or /sys/ or a unit name: Invalid argument");
            return 1;
        }
        Optional<Path> dir = device.startsWith("/") ? tree.findDevice(device) : Optional.empty();
        if (dir.isEmpty()) {
            err().println("Unknown device \"" + device + "\": No such device");
            return 1;
        }
        if (attributeWalk) {
            new AttributeWalk(tree, out()).print(dir.get());
            return 0;
        }
        Map<String, String> props = tree.properties(dir.get());
        printRecord(tree, dir.get(), props, out());
        printLkmd(tree, dir.get());
        return 0;
    }

    /** udevadm's record: P, M, R, U, T, D, I, N, L, Q, V, then E lines and a blank line. */
    static void printRecord(SysfsTree tree, Path dir, Map<String, String> props, PrintStream out) {
        String devpath = tree.devpath(dir);
        out.println("P: " + devpath);
        String sysname = sysname(dir);
        out.println("M: " + sysname);
        sysnum(sysname).ifPresent(n -> out.println("R: " + n));
        Optional<String> subsystem = tree.subsystem(dir);
        subsystem.ifPresent(s -> out.println("U: " + s));
        Optional.ofNullable(props.get("DEVTYPE")).ifPresent(t -> out.println("T: " + t));
        if (props.containsKey("MAJOR") && props.containsKey("MINOR")) {
            out.println("D: " + (subsystem.orElse("").equals("block") ? 'b' : 'c') + " "
                    + props.get("MAJOR") + ":" + props.get("MINOR"));
        }
        Optional.ofNullable(props.get("IFINDEX")).ifPresent(i -> out.println("I: " + i));
        String devname = props.get("DEVNAME");
        if (devname != null && devname.startsWith("/dev/")) {
            out.println("N: " + devname.substring("/dev/".length()));
            // udev's link priority: 0 when no rule set one, and there is no database here
            out.println("L: 0");
        }
        Optional.ofNullable(props.get("DISKSEQ")).ifPresent(q -> out.println("Q: " + q));
        link(dir, "driver").ifPresent(d -> out.println("V: " + d));
        if (subsystem.isPresent()) {
            // udevadm lists the properties only once it has the device's id, which needs a subsystem
            props.forEach((k, v) -> out.println("E: " + k + "=" + v));
        }
        out.println();
    }

    private void printLkmd(SysfsTree tree, Path dir) {
        Optional<String> driver = link(dir, "driver");
        if (driver.isPresent()) {
            out().println("driver: " + driver.get());
            out().println("module: " + link(dir.resolve("driver"), "module").orElse("built-in"));
        } else {
            out().println("driver: none bound");
        }
        Uevent e;
        try {
            e = DeviceUevent.read(root(), tree.devpath(dir), "add");
        } catch (IOException ex) {
            out().println("rules: not run (" + ex.getMessage() + ")");
            return;
        }
        Optional<Snapshot> snapshot = RulesDryRun.load(root(), releaseOption(), err());
        if (snapshot.isEmpty()) {
            out().println("rules: not run (configuration unusable, see above)");
            return;
        }
        RulesDryRun run = RulesDryRun.run(root(), snapshot.get(), e);
        RuleOutcome ro = run.outcome();
        ro.trace().forEach(r -> out().println("rule matched: " + r));
        if (ro.trace().isEmpty()) {
            out().println("rules: none matched");
        }
        ResolveContext ctx = run.newContext();
        boolean kmod = false;
        for (RunEntry r : ro.runs()) {
            if (r.kmod().isPresent()) {
                for (String q : r.kmod().get().queries(ro.env())) {
                    out().println("kmod load " + q + " -> " + RulesDryRun.resolve(ctx, q));
                    kmod = true;
                }
            }
        }
        if (!kmod) {
            out().println("kmod load: not run");
        }
    }

    /** The device's name: its directory's name with '!' read as '/'. */
    static String sysname(Path dir) {
        Path n = dir.getFileName();
        return n == null ? "" : n.toString().replace('!', '/');
    }

    /**
     * sd-device's sysnum: the trailing digits of the sysname, none when the digits run to its
     * first character or the scan reaches it.
     */
    static Optional<String> sysnum(String sysname) {
        int len = sysname.length();
        int start = -1;
        while (len > 0 && isDigit(sysname.charAt(--len))) {
            start = len;
        }
        return len == 0 || start < 0 ? Optional.empty() : Optional.of(sysname.substring(start));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static Optional<String> link(Path dir, String name) {
        Path p = dir.resolve(name);
        try {
            if (Files.isSymbolicLink(p)) {
                Path t = Files.readSymbolicLink(p).getFileName();
                return Optional.ofNullable(t).map(Path::toString);
            }
        } catch (IOException e) {
            // unreadable link: no value
        }
        return Optional.empty();
    }

    /** {@code udevadm info -a}: the device, then each parent, with their attributes. */
    static final class AttributeWalk {
        private final SysfsTree tree;
        private final PrintStream out;

        AttributeWalk(SysfsTree tree, PrintStream out) {
            this.tree = tree;
            this.out = out;
        }

        void print(Path dir) {
            out.print("\n"
                    + "Udevadm info starts with the device specified by the devpath and then\n"
                    + "walks up the chain of parent devices. It prints for every device\n"
                    + "found, all possible attributes in the udev rules key format.\n"
                    + "A rule to match, can be composed by the attributes of the device\n"
                    + "and the attributes from one single parent device.\n"
                    + "\n");
            device(dir, false);
            for (Optional<Path> p = tree.parent(dir); p.isPresent(); p = tree.parent(p.get())) {
                device(p.get(), true);
            }
            out.flush();
        }

        private void device(Path dir, boolean parent) {
            out.println("  looking at " + (parent ? "parent " : "") + "device '" + tree.devpath(dir) + "':");
            out.println("    " + (parent ? "KERNELS" : "KERNEL") + "==\"" + sysname(dir) + "\"");
            out.println("    " + (parent ? "SUBSYSTEMS" : "SUBSYSTEM") + "==\"" + tree.subsystem(dir).orElse("") + "\"");
            out.println("    " + (parent ? "DRIVERS" : "DRIVER") + "==\"" + link(dir, "driver").orElse("") + "\"");
            String key = parent ? "ATTRS" : "ATTR";
            for (String name : SysfsAttributes.names(dir)) {
                if (SKIPPED.contains(name)) {
                    continue;
                }
                Optional<SysfsAttributes.Value> value = SysfsAttributes.read(dir, name);
                if (value.isEmpty()) {
                    continue;
                }
                SysfsAttributes.Value v = value.get();
                String text = v.readable() ? v.text() : "(not readable)";
                if (v.readable() && (text.startsWith("/") || !printable(text))) {
                    continue;
                }
                out.println("    " + key + "{" + name + "}==\"" + text + "\"");
            }
            out.println();
        }
    }

    /** Attributes udevadm shows elsewhere or never. */
    static final java.util.Set<String> SKIPPED =
            java.util.Set.of("uevent", "dev", "modalias", "resource", "driver", "subsystem", "module");

    /** C's isprint in the C locale, for every byte. */
    static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
