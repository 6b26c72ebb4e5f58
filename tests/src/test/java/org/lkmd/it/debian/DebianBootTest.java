package org.lkmd.it.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Debian 12 system with lkmd as its module loader over a kernel upgrade: a debootstrap'd root
 * with systemd, udev, a headless Java 17, an older Debian kernel installed from its package and the
 * built {@code .deb} ({@code tests/debian/make-image}), booted under QEMU with Debian's kernel and
 * initrd ({@code tests/debian/boot}), driven like an admin would over a serial command channel, with
 * QMP for hotplug. Three boots, the later two continuing the first one's system:
 * <ol>
 * <li>lkmd on the older kernel (kernel command line {@code rw}): the unit is active; lkmd's journal
 *     names the drivers of the machine's devices that Debian's initramfs did not already load;
 *     udev's driver rules are masked under /run only, before udevd starts, and a unit after
 *     systemd-udev-settle and a stand-in for ifupdown's ifupdown-pre see the drivers; its lines are
 *     leveled ({@code journalctl -p warning} filters); {@code systemctl reload}; hot-added usb-kbd and virtio-net-pci get their drivers; an
 *     event that arrives while the service is stopped is handled after the socket brings it back;
 *     the kernel's own requests (a filesystem, static device nodes, a link type; 50 at once) go
 *     through lkmd's helper ({@code kernel.modprobe} from the package) to the daemon, to kmod's
 *     modprobe with the daemon stopped, and past a hung daemon within the helper's bound; a start
 *     without modules.dep rebuilds it and loads a present device's driver; autoclean keeps a bound
 *     driver and unloads it once its device is gone; a wedged worker stops the watchdog and systemd
 *     restarts lkmd; {@code deny} lines stop a dependency, an explicit {@code lkmd modprobe}, a
 *     uevent's load and a kernel request, {@code explain} names the line and {@code journalctl -u lkmd
 *     MODULE=e1000} (and {@code ORIGIN=}, {@code DEVPATH=}) finds the records; a module loaded before
 *     lkmd with other options than modprobe.d's is told (initramfs drift); a missing or unreadable {@code /etc/lkmd/lkmd.toml} and a missing Java runtime
 *     each fail the unit with a message naming the cause (no restart loop, no hang); then the
 *     current kernel's package is installed with {@code dpkg -i} (its scripts run depmod and
 *     update-initramfs), {@code update-initramfs -u} rebuilds the new kernel's initrd, which keeps
 *     udev's own driver rules, and the guest powers off;</li>
 * <li>udev on the upgraded system's new kernel (lkmd's units masked on the command line): the
 *     reference for boot 3, on the same kernel and initrd;</li>
 * <li>lkmd on the new kernel from the initrd its package made, with a read-only root ({@code ro},
 *     systemd-remount-fs masked) and kmod's static-nodes unit masked: the root mounts, lkmd becomes
 *     active and loads the same modules as udev on that kernel, and udevd processes as many add
 *     events as without lkmd (udev's work not doubled); lkmd's static-nodes unit wrote the
 *     node list, and opening {@code /dev/net/tun} loads tun through the helper; then, the root
 *     remounted read-write, {@code apt-get remove}, {@code dpkg -i}, an upgrade, {@code apt-get
 *     purge} as Debian policy expects, udev loading again at once and {@code kernel.modprobe}
 *     restored.</li>
 * </ol>
 * Asserts behaviour, never durations: the boot figures (kernel start to lkmd's READY=1 and to the
 * last driver live, and the same for udev) are printed as {@code DEBIAN-FIGURES} lines
 * ({@code tests/bench/debian-boot.sh} collects them; with only the figures wanted there is no
 * upgrade, and the udev boot runs the image's older kernel as boot 1 does). Skipped without QEMU,
 * debootstrap, root, a Debian kernel on the host (the release the upgrade installs) or the built
 * package, or with {@code -Dlkmd.debian.skip=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianBootTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();
    private static final long BOOT_TIMEOUT_S = Long.getLong("lkmd.debian.bootTimeout", 400);
    /** tests/bench/debian-boot.sh: only the lkmd and udev boots' first checks and their figures. */
    private static final boolean FIGURES_ONLY = Boolean.getBoolean("lkmd.debian.figuresOnly");

    /** Drivers of the machine's boot-time devices (tests/debian/boot): loaded by lkmd unless Debian's initramfs did. */
    private static final Set<String> BOOT_DRIVERS = Set.of("snd_hda_intel", "xhci_pci", "e1000e", "virtio_pci",
            "virtio_rng", "i2c_i801");
    private static final Pattern LOADED = Pattern.compile("Loaded module (\\S+) for (\\S+)(?: \\(with ([^)]*)\\))?");
    /** Guest shell: the devpath of the hot-added e1000 (PCI 8086:100e), if it is there. */
    private static final String E1000 = "for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor):$(cat $d/device)\" = 0x8086:0x100e ]"
            + " && readlink -f $d | sed 's,^/sys,,'; done; true";
    private static final Pattern MONO = Pattern.compile("^\\[\\s*(\\d+\\.\\d+)\\]");
    /** The kernel's module helper the package sets (kernel.modprobe). */
    private static final String HELPER = "/usr/lib/lkmd/bin/lkmd-modprobe";

    private Path image;
    private DebianGuest lkmd;
    private final List<String> figures = new ArrayList<>();
    private Set<String> lkmdColdplugModules;
    /** Events udevd processed in the lkmd boot, by action (tests/debian/guest/lkmd-test-udevmon). */
    private Map<String, Integer> lkmdUdevEvents;
    /** The release boot 1 runs (the image's older kernel) and the one the upgrade installs. */
    private String oldRelease;
    private String newRelease;
    /** After the upgrade in boot 1: that system powered off, and the new kernel and initrd copied out to the host. */
    private DebianGuest.From upgraded;
    private Set<String> udevModules;
    /** Events udevd processed in the udev boot, by action. */
    private Map<String, Integer> udevEvents;
    /** Boot 3: lkmd on the upgraded system. */
    private DebianGuest newKernel;

    @BeforeAll
    void buildImageAndBoot() throws Exception {
        image = DebianGuest.image(REPO);
        lkmd = DebianGuest.boot(REPO, image, "lkmd", BOOT_TIMEOUT_S, "rw");
    }

    @AfterAll
    void closeAndPrintFigures() {
        if (lkmd != null) {
            lkmd.close();
        }
        if (newKernel != null) {
            newKernel.close();
        }
        figures.forEach(System.out::println);
    }

    // ---- boot 1: lkmd ---------------------------------------------------------------------------

    @Test
    @Order(1)
    void lkmdIsActiveAndLoadedTheDriversOfTheMachine() throws Exception {
        diagnosed(lkmd, g -> {
            assertEquals("active", g.waitActive(), "systemctl is-active lkmd after boot");
            oldRelease = g.ok("uname -r").strip();
            g.ok("udevadm settle --timeout=300");
            waitModulesQuiet(g);
            Modules mods = modules(g);
            lkmdColdplugModules = procModules(g);
            lkmdUdevEvents = udevEvents(g);
            List<Loaded> loaded = loaded(journal(g, 0));
            Set<String> named = named(loaded);
            System.out.println("lkmd boot: loaded by lkmd " + named + "; loaded in the initramfs " + mods.pre
                    + "; all after it " + mods.after.keySet());
            assertTrue(named.contains("snd_hda_intel"), "lkmd's journal must name snd_hda_intel (intel-hda): " + loaded);
            for (String d : BOOT_DRIVERS) {
                assertTrue(mods.pre.contains(d) || named.contains(d),
                        d + " neither loaded by Debian's initramfs nor named in lkmd's journal; lkmd loaded " + named);
            }
            for (String d : named) {
                assertTrue(lkmdColdplugModules.contains(d), d + " named in the journal but not in /proc/modules");
            }
            lkmdFigures(g, "lkmd", oldRelease, mods, lkmdUdevEvents);
        });
    }

    @Test
    @Order(2)
    void udevsDriverRulesAreMaskedForThisBootOnlyAndSettleWaitsForLkmd() throws Exception {
        onLkmdBoot(g -> {
            assertEquals("active", g.run("systemctl is-active lkmd-udev-mask.service").out().strip());
            assertEquals("/dev/null", g.run("readlink /run/udev/rules.d/80-drivers.rules").out().strip(),
                    "udev's 80-drivers.rules masked under /run while lkmd runs");
            assertEquals("", g.run("ls -A /etc/udev/rules.d/").out().strip(), "nothing of lkmd's under /etc/udev");
            long masked = monotonicMs(g, "lkmd-udev-mask", "ActiveEnterTimestampMonotonic");
            long udevd = monotonicMs(g, "systemd-udevd", "ExecMainStartTimestampMonotonic");
            assertTrue(masked > 0 && masked <= udevd, "the mask must be in place before udevd starts: masked at " + masked
                    + " ms, udevd started at " + udevd + " ms");
            // a unit ordered after systemd-udev-settle (as LVM, mdadm, a ZFS import) starts after lkmd's
            // READY=1 (coldplug settled) and sees the drivers of the machine's devices loaded
            long ready = monotonicMs(g, "lkmd", "ActiveEnterTimestampMonotonic");
            long afterSettle = monotonicMs(g, "lkmd-test-after-settle", "ExecMainStartTimestampMonotonic");
            assertTrue(ready > 0 && afterSettle >= ready, "a unit after systemd-udev-settle started at " + afterSettle
                    + " ms, before lkmd was ready at " + ready + " ms");
            Set<String> atSettle = Set.copyOf(g.ok("cat /run/lkmd-test/after-settle.modules").lines().toList());
            for (String d : BOOT_DRIVERS) {
                assertTrue(atSettle.contains(d), d + " not loaded when the unit after systemd-udev-settle started: " + atSettle);
            }
            // ifupdown's ifupdown-pre.service (a stand-in with its ordering: after systemd-udev-trigger, not
            // after sysinit.target) runs `udevadm settle` for networking.service's `ifup -a`: it too starts
            // after lkmd's READY=1, when the network cards' drivers are in
            long ifupdownPre = monotonicMs(g, "ifupdown-pre", "ExecMainStartTimestampMonotonic");
            assertTrue(ifupdownPre >= ready, "ifupdown-pre.service started at " + ifupdownPre + " ms, before lkmd was ready at "
                    + ready + " ms");
            Set<String> atIfup = Set.copyOf(g.ok("cat /run/lkmd-test/ifupdown-pre.modules").lines().toList());
            for (String d : BOOT_DRIVERS) {
                assertTrue(atIfup.contains(d), d + " not loaded when ifupdown-pre.service was done: " + atIfup);
            }
        });
    }

    @Test
    @Order(3)
    void journalLinesAreLeveled() throws Exception {
        onLkmdBoot(g -> {
            List<String> all = g.ok("journalctl -b -u lkmd -t lkmd -o cat --no-pager").lines().toList();
            Set<String> warnings = Set.copyOf(g.ok("journalctl -b -u lkmd -t lkmd -p warning -o cat --no-pager").lines().toList());
            assertTrue(all.stream().anyMatch(l -> l.contains("Ready:")), "no Ready line in: " + all);
            for (String l : all) {
                assertTrue(!l.matches("^<\\d>.*"), "raw syslog prefix left in the journal: " + l);
                assertTrue(!l.matches("^\\s+at .*|^Caused by: .*|.*Exception in thread.*"), "stack trace in the journal: " + l);
                // the JVM's own warnings (-Xlog:all=warning): e.g. a class-data archive that does not fit this JDK
                assertTrue(!l.matches(".*\\]\\[warning\\]\\[.*"), "JVM warning in the journal: " + l);
                if (l.contains("Loaded module") || l.contains("Ready:")) {
                    assertTrue(!warnings.contains(l), "info line shown by journalctl -p warning: " + l);
                }
                if (l.contains("Failed to")) {
                    assertTrue(warnings.contains(l), "warning/error line not shown by journalctl -p warning: " + l);
                }
            }
            System.out.println("lkmd boot: " + all.size() + " journal lines, " + warnings.size() + " at warning or above");
        });
    }

    @Test
    @Order(4)
    void reloadKeepsTheServiceActive() throws Exception {
        onLkmdBoot(g -> {
            double t = g.uptime();
            g.ok("systemctl reload lkmd");
            assertTrue(g.run(journalWait("Reloaded configuration", t, 120)).ok(),
                    "no 'Reloaded configuration' line after systemctl reload: " + journal(g, t));
            assertEquals("active", g.run("systemctl is-active lkmd").out().strip());
        });
    }

    @Test
    @Order(5)
    void hotPluggedDevicesGetTheirDrivers() throws Exception {
        onLkmdBoot(g -> {
            double t = g.uptime();
            g.deviceAdd("{\"driver\":\"usb-kbd\",\"bus\":\"xhci.0\",\"id\":\"hkbd\"}");
            g.deviceAdd("{\"driver\":\"virtio-net-pci\",\"bus\":\"rp1\",\"netdev\":\"n1\",\"id\":\"hvnet\"}");
            for (String m : List.of("usbhid", "hid_generic", "virtio_net")) {
                assertTrue(g.run(moduleWait(m, 120)).ok(), m + " not loaded after the hotplug");
            }
            Set<String> named = named(loaded(journal(g, t)));
            assertTrue(named.containsAll(Set.of("usbhid", "hid_generic", "virtio_net")),
                    "lkmd's journal must name usbhid, hid_generic and virtio_net after the hotplug: " + journal(g, t));
        });
    }

    @Test
    @Order(6)
    void anEventWhileTheServiceIsStoppedIsHandledWhenItIsBack() throws Exception {
        onLkmdBoot(g -> {
            g.ok("systemctl stop lkmd.service");
            assertEquals("active", g.run("systemctl is-active lkmd-kernel.socket").out().strip(), "the socket stays");
            long before = Long.parseLong(g.ok("cat /sys/kernel/uevent_seqnum").strip());
            String stateBefore = g.run("systemctl is-active lkmd.service").out().strip();
            g.deviceAdd("{\"driver\":\"e1000\",\"bus\":\"rp2\",\"netdev\":\"n2\",\"id\":\"he1000\"}");
            // once the device is in sysfs (and a moment for its add event), its events are in the socket's
            // buffer; the JVM of a socket-activated lkmd needs far longer than that to listen
            long after = Long.parseLong(g.ok("for i in $(seq 300); do [ -n \"$(" + E1000 + ")\" ] && break; sleep 0.2; done;"
                    + " sleep 1; cat /sys/kernel/uevent_seqnum").strip());
            // socket activation should bring the service back; start it if it did not come within 60 s
            String how = g.ok("for i in $(seq 60); do systemctl is-active -q lkmd.service && { echo socket; exit; };"
                    + " [ \"$(systemctl is-active lkmd.service)\" = activating ] && { echo socket; exit; }; sleep 1; done;"
                    + " systemctl start lkmd.service; echo start").strip();
            assertEquals("active", g.waitActive(), "lkmd after the stop");
            assertTrue(g.run(moduleWait("e1000", 120)).ok(), "e1000 not loaded after the service came back");
            String devpath = g.ok(E1000).strip();
            String explain = g.ok("lkmd explain " + devpath);
            List<Long> seqs = new ArrayList<>();
            Matcher m = Pattern.compile("seq (\\d+) add").matcher(explain);
            while (m.find()) {
                seqs.add(Long.parseLong(m.group(1)));
            }
            System.out.printf("lkmd boot: stopped (%s), e1000 added between SEQNUM %d and %d, service back by %s,"
                    + " add events lkmd handled for %s: %s%n", stateBefore, before, after, how, devpath, seqs);
            assertTrue(seqs.stream().anyMatch(s -> s > before && s <= after),
                    "the add event the kernel sent while lkmd was stopped (SEQNUM " + (before + 1) + ".." + after
                            + ") is not in lkmd's history of " + devpath + ":\n" + explain);
        });
    }

    @Test
    @Order(7)
    void theKernelsOwnRequestsGoThroughLkmdsHelper() throws Exception {
        onLkmdBoot(g -> {
            assertEquals(HELPER, g.ok("cat /proc/sys/kernel/modprobe").strip(), "kernel.modprobe at boot (the package's sysctl.d)");
            Set<String> before = procModules(g);
            for (String m : List.of("fat", "vfat", "dummy", "msdos", "hfsplus", "veth", "udf", "isofs")) {
                assertTrue(!before.contains(m), m + " already loaded: the kernel's request for it cannot be shown");
            }
            // each kind of request, served by the C helper and the daemon: the daemon's history names it
            Map<String, String> asked = new LinkedHashMap<>();
            asked.put("fs-vfat", "vfat");
            asked.put("rtnl-link-dummy", "dummy");
            g.run("mount -t vfat none /mnt 2>/dev/null", 120); // fails (no device) after the kernel asked for fs-vfat
            g.ok("ip link add lkmdtest0 type dummy && ip link del lkmdtest0");
            // device nodes made at boot from modules.devname: opening one makes the kernel ask for its
            // module (systemd itself loads some at boot, e.g. fuse for its control file system)
            List<String> opened = new ArrayList<>();
            for (String[] n : List.of(new String[] {"/dev/fuse", "char-major-10-229", "fuse"},
                    new String[] {"/dev/loop-control", "char-major-10-237", "loop"},
                    new String[] {"/dev/net/tun", "char-major-10-200", "tun"},
                    new String[] {"/dev/uinput", "char-major-10-223", "uinput"},
                    new String[] {"/dev/uhid", "char-major-10-239", "uhid"},
                    new String[] {"/dev/vhost-net", "char-major-10-238", "vhost_net"})) {
                assertTrue(g.run("test -c " + n[0]).ok(), n[0] + ": no static node at boot");
                if (!before.contains(n[2])) {
                    g.ok(": <>" + n[0] + " || true");
                    asked.put(n[1], n[2]);
                    opened.add(n[0]);
                }
            }
            System.out.println("lkmd boot: device nodes opened with their module absent: " + opened);
            assertTrue(opened.size() >= 3 && opened.contains("/dev/net/tun"), "too few static nodes with their module absent: " + opened);
            Set<String> now = procModules(g);
            for (Map.Entry<String, String> e : asked.entrySet()) {
                assertTrue(now.contains(e.getValue()), e.getValue() + " not loaded for the kernel's request " + e.getKey());
                String explain = g.ok("lkmd explain " + e.getKey());
                assertTrue(explain.contains("kernel request " + e.getKey() + " at "), "no kernel request in the history of "
                        + e.getKey() + ":\n" + explain);
            }
            assertTrue(now.contains("fat"), "fat (vfat's dependency) not loaded");
            assertEquals(1, loadedFor(g, "vfat", "fs-vfat"), "vfat loaded once for fs-vfat");

            // 50 requests at once, for two modules: all complete, each module loaded once
            g.ok("mkdir -p /tmp/m && for i in $(seq 25); do (mount -t udf none /tmp/m 2>/dev/null; true) &"
                    + " (mount -t iso9660 none /tmp/m 2>/dev/null; true) & done; wait");
            now = procModules(g);
            assertTrue(now.contains("udf") && now.contains("isofs"), "udf and isofs after 50 requests: " + now);
            // requests that joined a load in flight report it loaded too; a second insert would fail with
            // EEXIST (ConcurrentHelperLoadsTest counts one finit_module per module on the host)
            assertTrue(loadedFor(g, "udf", "fs-udf") >= 1 && loadedFor(g, "isofs", "fs-iso9660") >= 1, "no load line");
            String failed = g.run("journalctl -b -u lkmd -o cat --no-pager | grep -E 'Failed to load module (udf|isofs)'").out();
            assertEquals("", failed.strip(), "a load of udf or isofs failed (a second insert?)");

            // a person's `lkmd modprobe -r` is the daemon's (no Java runtime needed): kmod's message and status
            // for a module in use (fat, under vfat), then the module goes
            DebianGuest.Cmd inUse = g.run("LKMD_JAVA=/nonexistent lkmd modprobe -r fat 2>&1; echo rc=$?");
            assertEquals(g.run("modprobe -r fat 2>&1; echo rc=$?").out(), inUse.out(), "lkmd modprobe -r fat vs kmod's");
            assertTrue(inUse.out().contains("Module fat is in use"), inUse.toString());
            g.ok("LKMD_JAVA=/nonexistent lkmd modprobe -r udf");
            assertTrue(!procModules(g).contains("udf"), "udf still loaded after lkmd modprobe -r udf");

            // no daemon: kmod's modprobe serves the kernel, no hang
            g.ok("systemctl stop lkmd-kernel.socket lkmd.service");
            try {
                DebianGuest.Cmd alone = g.run("timeout 60 sh -c 'mount -t msdos none /mnt 2>/dev/null;"
                        + " mount -t hfsplus none /mnt 2>/dev/null; true'", 90);
                assertNotEquals(124, alone.rc(), "the kernel's requests hung without a daemon");
                now = procModules(g);
                assertTrue(now.contains("msdos") && now.contains("hfsplus"), "msdos and hfsplus without a daemon: " + now);
            } finally {
                g.ok("systemctl start lkmd-kernel.socket lkmd.service");
            }
            assertEquals("active", g.waitActive(), "lkmd after the stop");

            // a daemon that takes the connection and never answers: the helper falls back within its bound
            String pid = g.ok("systemctl show -p MainPID --value lkmd.service").strip();
            g.ok("kill -STOP " + pid);
            try {
                DebianGuest.Cmd hung = g.run("t0=$(date +%s%N); timeout 60 ip link add lkmdtest1 type veth peer name lkmdtest2;"
                        + " rc=$?; echo $(( ($(date +%s%N) - t0) / 1000000 )); exit $rc", 90);
                assertEquals(0, hung.rc(), "ip link add ... type veth with a hung daemon: " + hung);
                System.out.println("lkmd boot: rtnl-link-veth with a stopped (SIGSTOP) daemon served in "
                        + hung.out().strip() + " ms (helper bound 10 s)");
                assertTrue(procModules(g).contains("veth"), "veth not loaded with a hung daemon");
            } finally {
                g.run("kill -CONT " + pid + "; ip link del lkmdtest1 2>/dev/null; true");
            }
            assertEquals("active", g.waitActive(), "lkmd after SIGCONT");
        });
    }

    @Test
    @Order(8)
    void denyStopsEveryWayALoadStartsAndAModuleLoadedBeforeLkmdWithOtherOptionsIsTold() throws Exception {
        onLkmdBoot(g -> {
            String conf = "/etc/lkmd/modprobe.d/lkmdtest-deny.conf";
            String devpath = g.ok(E1000).strip();
            assertTrue(!devpath.isEmpty(), "the e1000 hot-added in step 6 is not there");
            Set<String> before = procModules(g);
            assertTrue(before.contains("e1000"), "e1000 (step 6) not loaded");
            for (String m : List.of("8021q", "garp", "jfs", "minix", "nbd")) {
                assertTrue(!before.contains(m), m + " already loaded: its refusal cannot be shown");
            }
            double t = g.uptime();
            try {
                // lkmd's own directory (kmod never reads it, so kmod prints no error for the lines)
                g.ok("mkdir -p /etc/lkmd/modprobe.d && printf '# lkmd test\\ndeny garp\\ndeny jfs\\ndeny e1000\\ndeny minix\\n'"
                        + " > " + conf + " && lkmd reload");
                assertTrue(g.run("/sbin/modprobe -n -q jfs 2>&1").out().isEmpty(), "kmod read lkmd's directory");
                // e1000 is live: the deny unloads nothing, one line says so
                assertTrue(g.run(journalWait("Module e1000 is live: the deny at " + conf + ":4", t, 60)).ok(),
                        "no line about the live e1000: " + journal(g, t));
                assertTrue(procModules(g).contains("e1000"), "the deny unloaded e1000");

                // (a) a dependency: 8021q needs garp (and stp, llc, mrp); nothing of the stack loads
                DebianGuest.Cmd dep = g.run("lkmd modprobe 8021q 2>&1");
                assertEquals(1, dep.rc(), dep.toString());
                assertTrue(dep.out().contains("modprobe: ERROR: could not insert '8021q': its dependency 'garp' is denied by "
                        + conf + ":2"), dep.toString());
                // (b) an explicit lkmd modprobe
                DebianGuest.Cmd jfs = g.run("lkmd modprobe jfs 2>&1");
                assertEquals(1, jfs.rc(), jfs.toString());
                assertTrue(jfs.out().contains("modprobe: ERROR: could not insert 'jfs': denied by " + conf + ":3"), jfs.toString());
                // a person's plain `lkmd modprobe NAME` with the daemon running is the daemon's (no JVM started),
                // once the watcher has read the deny file (until then the Java tool does it, as kmod would)
                String jfsHistory = g.run("for i in $(seq 20); do lkmd modprobe -q jfs;"
                        + " lkmd history --module jfs | grep 'command line jfs' && break; sleep 1; done", 300).out();
                assertTrue(jfsHistory.contains("command line jfs"), "lkmd modprobe jfs not done by the daemon: " + jfsHistory);
                // a person's `lkmd lsmod` is the daemon's table (no Java runtime needed), kmod's lsmod's text byte
                // for byte (tried again if a module came or went between the two)
                DebianGuest.Cmd ls = g.run("for i in 1 2 3 4 5; do LKMD_JAVA=/nonexistent lkmd lsmod >/tmp/lkmd.lsmod || exit 9;"
                        + " lsmod >/tmp/kmod.lsmod; cmp -s /tmp/lkmd.lsmod /tmp/kmod.lsmod && exit 0; sleep 1; done;"
                        + " diff /tmp/kmod.lsmod /tmp/lkmd.lsmod", 120);
                assertEquals(0, ls.rc(), "lkmd lsmod (daemon) vs kmod's lsmod: " + ls);
                // (c) a uevent's kmod load: the device is there, its driver gone
                g.ok("rmmod e1000 && echo add > /sys" + devpath + "/uevent");
                // (journalWait's text goes into single quotes: the quoted module names are checked after)
                assertTrue(g.run(journalWait("Not loading module e1000 for " + devpath + ": could not insert", t, 120)).ok(),
                        "no refusal for the uevent: " + journal(g, t));
                assertTrue(journal(g, t).stream().anyMatch(l -> l.contains("Not loading module e1000 for " + devpath
                        + ": could not insert 'e1000': denied by " + conf + ":4")), "refusal of e1000: " + journal(g, t));
                // (d) the kernel's request, through lkmd's helper to the daemon
                g.run("mount -t minix none /mnt 2>/dev/null", 120);
                assertTrue(g.run(journalWait("Refused to load module minix for the kernel request fs-minix", t, 60)).ok(),
                        "no refusal for fs-minix: " + journal(g, t));
                assertTrue(journal(g, t).stream().anyMatch(l -> l.contains("Refused to load module minix for the kernel request"
                        + " fs-minix: could not insert 'minix': denied by " + conf + ":5")), "refusal of minix: " + journal(g, t));
                // the records carry the module, the device, the event and the origin as journal fields
                List<String> e1000 = g.ok("journalctl -b -u lkmd MODULE=e1000 -o cat --no-pager").lines().toList();
                assertTrue(e1000.stream().anyMatch(l -> l.contains("Module e1000 is live: the deny at "))
                        && e1000.stream().anyMatch(l -> l.contains("Not loading module e1000 for " + devpath))
                        && e1000.stream().allMatch(l -> l.contains("e1000")), "journalctl MODULE=e1000: " + e1000);
                String uevent = g.ok("journalctl -b -u lkmd MODULE=e1000 ORIGIN=uevent DEVPATH=" + devpath
                        + " -o export --no-pager");
                assertTrue(uevent.contains("MESSAGE=EventHandler: Not loading module e1000 for " + devpath)
                        && uevent.matches("(?s).*\nSEQNUM=[0-9]+\n.*") && uevent.contains("\nSYSLOG_IDENTIFIER=lkmd\n"),
                        "journalctl MODULE=e1000 ORIGIN=uevent DEVPATH=: " + uevent);
                String request = g.ok("journalctl -b -u lkmd MODULE=minix ORIGIN=kernel-request -o cat --no-pager");
                assertTrue(request.contains("Refused to load module minix for the kernel request fs-minix"),
                        "journalctl MODULE=minix ORIGIN=kernel-request: " + request);
                System.out.println("lkmd boot: journalctl MODULE=e1000 gives " + e1000.size() + " lines");
                Set<String> now = procModules(g);
                for (String m : List.of("8021q", "garp", "stp", "llc", "mrp", "jfs", "minix", "e1000")) {
                    // stp, llc and mrp are not denied: not loaded either, since what needed them was refused
                    assertTrue(!now.contains(m) || (before.contains(m) && !m.equals("e1000")), m + " loaded despite the deny");
                }
                // explain names the line, and the history has each refusal with its origin
                String req = g.ok("lkmd explain fs-minix");
                assertTrue(req.contains("    deny minix (" + conf + ":5)") && req.contains("why not: minix is denied at " + conf + ":5")
                        && req.contains("kernel request fs-minix at ") && req.contains("minix denied with EPERM"), req);
                String dev = g.ok("lkmd explain " + devpath);
                assertTrue(dev.contains("    deny e1000 (" + conf + ":4)") && dev.contains("e1000 denied with EPERM"), dev);
                System.out.println("lkmd boot: deny refused 8021q (via garp), jfs, e1000 for " + devpath + ", fs-minix");
            } finally {
                g.ok("rm -f " + conf + " && rmdir /etc/lkmd/modprobe.d && lkmd reload");
            }
            // the line gone, the device's driver loads again (later steps need e1000)
            g.ok("echo add > /sys" + devpath + "/uevent");
            assertTrue(g.run(moduleWait("e1000", 120)).ok(), "e1000 not loaded once the deny was removed: " + journal(g, t));

            // initramfs drift: a module in the kernel before lkmd starts, with other options than modprobe.d now gives
            String drift = "/etc/modprobe.d/lkmdtest-drift.conf";
            g.ok("systemctl stop lkmd-kernel.socket lkmd.service && /sbin/modprobe nbd nbds_max=2"
                    + " && printf 'options nbd nbds_max=4\\n' > " + drift);
            double t2 = g.uptime();
            try {
                g.ok("systemctl start lkmd-kernel.socket lkmd.service");
                assertEquals("active", g.waitActive(), "lkmd after the start with nbd loaded");
                String told = "module nbd was loaded before lkmd started with other parameters than modprobe.d gives: nbds_max=4 ("
                        + drift + ":1) but live nbds_max=2; rebuild the initramfs with update-initramfs -u";
                List<String> warned = g.ok("journalctl -b -u lkmd -p warning -o cat --no-pager").lines()
                        .filter(l -> l.contains("was loaded before lkmd started")).toList();
                List<String> since = journal(g, t2).stream().filter(l -> l.contains("was loaded before lkmd started")).toList();
                System.out.println("lkmd boot: drift lines at the start with nbd loaded: " + since);
                assertTrue(warned.stream().anyMatch(l -> l.contains(told)), "no drift warning for nbd: " + journal(g, t2));
                // a real Debian system's own modprobe.d, initramfs and earlier loads give no other warning
                assertEquals(1, since.size(), "drift lines other than nbd's: " + since);
                String status = g.ok("lkmd status");
                assertTrue(status.contains("initramfs drift:") && status.contains(told), status);
                String json = g.ok("lkmd status --json");
                assertTrue(json.contains("\"initramfs_drift\"") && json.contains("nbds_max=4"), json);
            } finally {
                g.ok("rm -f " + drift + " && /sbin/modprobe -r nbd && systemctl restart lkmd.service");
            }
            assertEquals("active", g.waitActive());
        });
    }

    @Test
    @Order(9)
    void aStartWithoutTheModuleIndexRebuildsItAndLoadsThePresentDevicesDrivers() throws Exception {
        onLkmdBoot(g -> {
            String dir = "/lib/modules/$(uname -r)";
            g.ok("systemctl stop lkmd-kernel.socket lkmd.service && rmmod e1000 && mkdir -p /root/index"
                    + " && mv " + dir + "/modules.dep " + dir + "/modules.dep.bin /root/index/");
            double t = g.uptime();
            try {
                g.ok("systemctl start lkmd-kernel.socket lkmd.service");
                assertEquals("active", g.waitActive(), "lkmd without modules.dep");
                assertTrue(g.run(moduleWait("e1000", 600)).ok(), "e1000 (a present device's driver) not loaded after the"
                        + " index was rebuilt: " + journal(g, t));
                // lkmd's depmod writes kmod's bytes
                g.ok("cmp " + dir + "/modules.dep /root/index/modules.dep && cmp " + dir + "/modules.dep.bin /root/index/modules.dep.bin");
                assertTrue(journal(g, t).stream().anyMatch(l -> l.contains("Rebuilt the module index")), "no line about the rebuild: "
                        + journal(g, t));
            } finally {
                g.ok("test -e " + dir + "/modules.dep.bin || cp /root/index/* " + dir + "/; rm -rf /root/index");
            }
        });
    }

    @Test
    @Order(10)
    void autocleanUnloadsOnlyADriverWhoseDeviceIsGone() throws Exception {
        onLkmdBoot(g -> {
            Set<String> initramfs = modules(g).pre;
            // e1000 loaded by this daemon (autoclean never touches what was live when it started)
            g.ok("systemctl stop lkmd-kernel.socket lkmd.service && rmmod e1000 && cp /etc/lkmd/lkmd.toml /root/lkmd.toml.orig"
                    + " && sed -i '/^\\[autoclean\\]/,$d' /etc/lkmd/lkmd.toml"
                    + " && printf '[autoclean]\\nenabled = true\\nidle_minutes = 0\\n' >> /etc/lkmd/lkmd.toml"
                    + " && systemctl start lkmd-kernel.socket lkmd.service");
            try {
                assertEquals("active", g.waitActive());
                assertTrue(g.run(moduleWait("e1000", 120)).ok(), "e1000 not loaded");
                // autoclean sweeps once a minute, and with idle_minutes = 0 unloads at the first sweep that
                // finds a module unused: one sweep finds e1000 idle by refcount, but bound to its device
                g.ok("sleep 70");
                assertTrue(procModules(g).contains("e1000"), "autoclean unloaded e1000 while its device is present");
                g.deviceDel("he1000");
                assertTrue(g.run("for i in $(seq 200); do grep -q '^e1000 ' /proc/modules || exit 0; sleep 1; done; exit 1", 230).ok(),
                        "autoclean did not unload e1000 after its device was removed: " + journal(g, 0));
                Set<String> left = procModules(g);
                List<String> touched = initramfs.stream().filter(m -> !left.contains(m)).toList();
                assertEquals(List.of(), touched, "modules the initramfs loaded, unloaded by autoclean");
            } finally {
                g.ok("mv /root/lkmd.toml.orig /etc/lkmd/lkmd.toml && rm -f /root/autoclean && systemctl restart lkmd.service");
            }
            assertEquals("active", g.waitActive());
        });
    }

    @Test
    @Order(11)
    void aWedgedWorkerStopsTheWatchdogAndSystemdRestartsLkmd() throws Exception {
        onLkmdBoot(g -> {
            // one worker, hooks that may run an hour, the watchdog at 20 s; then usbhid's install hook never ends
            g.ok("mkdir -p /run/systemd/system/lkmd.service.d && printf '[Service]\\nWatchdogSec=20s\\n'"
                    + " > /run/systemd/system/lkmd.service.d/watchdog.conf && cp /etc/lkmd/lkmd.toml /root/lkmd.toml.orig"
                    + " && sed -i 's/^workers = .*/workers = 1/; s/^hook_timeout = .*/hook_timeout = 3600/' /etc/lkmd/lkmd.toml"
                    + " && systemctl daemon-reload && systemctl restart lkmd.service");
            try {
                assertEquals("active", g.waitActive());
                long restarts = Long.parseLong(g.ok("systemctl show -p NRestarts --value lkmd.service").strip());
                String kbd = "$(for d in /sys/bus/usb/devices/*; do [ \"$(cat $d/bInterfaceClass 2>/dev/null)\" = 03 ] && echo $d; done | head -1)";
                g.ok("echo 'install usbhid /bin/sleep 3600' > /etc/modprobe.d/lkmd-test-wedge.conf && systemctl reload lkmd.service"
                        + " && sleep 5 && rmmod hid_generic usbhid virtio_rng && echo add > " + kbd + "/uevent"
                        + " && for i in $(seq 60); do pgrep -f '^/bin/sleep 3600$' >/dev/null && break; sleep 1; done; pgrep -f '^/bin/sleep 3600$'");
                // wedged: the next boot of the daemon must not hang again
                g.ok("rm /etc/modprobe.d/lkmd-test-wedge.conf");
                // an event sent meanwhile: virtio-rng's add, queued behind the wedged worker
                g.ok("echo add > $(for d in /sys/bus/virtio/devices/*; do [ \"$(cat $d/device)\" = 0x0004 ] && echo $d; done"
                        + " | head -1)/uevent");
                assertTrue(g.run("for i in $(seq 240); do [ $(systemctl show -p NRestarts --value lkmd.service) -gt " + restarts
                        + " ] && exit 0; sleep 1; done; exit 1", 270).ok(), "systemd did not restart the wedged lkmd: "
                        + g.run("systemctl status lkmd.service --no-pager").out());
                assertEquals("active", g.waitActive(), "lkmd after the watchdog restart");
                String why = g.ok("journalctl -b -u lkmd -o cat --no-pager");
                assertTrue(why.contains("made no progress") && why.contains("atchdog timeout"),
                        "no stall line from lkmd and watchdog timeout from systemd: " + why);
                for (String m : List.of("virtio_rng", "usbhid")) {
                    assertTrue(g.run(moduleWait(m, 180)).ok(), m + " not loaded after the restart");
                }
            } finally {
                g.ok("rm -f /etc/modprobe.d/lkmd-test-wedge.conf /run/systemd/system/lkmd.service.d/watchdog.conf"
                        + " && mv /root/lkmd.toml.orig /etc/lkmd/lkmd.toml && systemctl daemon-reload && systemctl restart lkmd.service");
            }
            assertEquals("active", g.waitActive());
        });
    }

    @Test
    @Order(12)
    void badInputsFailTheUnitWithAClearMessage() throws Exception {
        onLkmdBoot(g -> {
            failsWith(g, "a missing /etc/lkmd/lkmd.toml", "mv /etc/lkmd/lkmd.toml /root/lkmd.toml.away",
                    "mv /root/lkmd.toml.away /etc/lkmd/lkmd.toml", 2, "/etc/lkmd/lkmd.toml");
            failsWith(g, "an unreadable /etc/lkmd/lkmd.toml (a directory)",
                    "mv /etc/lkmd/lkmd.toml /root/lkmd.toml.away && mkdir /etc/lkmd/lkmd.toml",
                    "rmdir /etc/lkmd/lkmd.toml && mv /root/lkmd.toml.away /etc/lkmd/lkmd.toml", 2, "/etc/lkmd/lkmd.toml");
            failsWith(g, "no Java runtime", "mv /usr/bin/java /usr/bin/java.hidden", "mv /usr/bin/java.hidden /usr/bin/java",
                    5, "no Java runtime");
            // repaired, it starts again (and runs through the kernel upgrade that follows)
            g.ok("systemctl start lkmd-kernel.socket lkmd.service");
            assertEquals("active", g.waitActive(), "lkmd after the repairs");
        });
    }

    @Test
    @Order(13)
    void aKernelUpgradeAndUpdateInitramfsMakeAnInitrdThatKeepsUdevsDriverRules() throws Exception {
        onLkmdBoot(g -> {
            String running = g.ok("uname -r").strip();
            String deb = g.ok("ls /root/linux-image-*.deb").strip();
            String rel = deb.substring("/root/linux-image-".length(), deb.length() - ".deb".length());
            assertNotEquals(running, rel, "the image's kernel package is the running kernel");
            // as apt does it: dpkg unpacks the modules, the package's postinst runs depmod, and
            // /etc/kernel/postinst.d/initramfs-tools runs update-initramfs -c for the new release,
            // with lkmd installed and running
            DebianGuest.Cmd install = g.run("DEBIAN_FRONTEND=noninteractive dpkg -i " + deb + " 2>&1", 1500);
            assertEquals(0, install.rc(), install.toString());
            assertTrue(install.out().contains("update-initramfs: Generating /boot/initrd.img-" + rel), install.toString());
            g.ok("test -s /lib/modules/" + rel + "/modules.dep.bin && test -s /boot/vmlinuz-" + rel + " && test -s /boot/initrd.img-" + rel);
            assertEquals("active", g.waitActive(), "lkmd during the kernel upgrade");
            // and as an administrator rebuilds it later: update-initramfs -u takes the newest kernel
            DebianGuest.Cmd update = g.run("update-initramfs -u 2>&1", 900);
            assertEquals(0, update.rc(), update.toString());
            assertTrue(update.out().contains("update-initramfs: Generating /boot/initrd.img-" + rel), update.toString());
            // the new initrd's udev keeps its own driver rules: no mask, no empty copy from /etc
            String initrd = "/boot/initrd.img-" + rel;
            DebianGuest.Cmd rules = g.run("rm -rf /tmp/initrd && unmkinitramfs " + initrd + " /tmp/initrd"
                    + " && find /tmp/initrd -name 80-drivers.rules | sed 's,^/tmp/initrd,,'"
                    + " && cmp \"$(find /tmp/initrd -path '*/lib/udev/rules.d/80-drivers.rules' | head -1)\" /lib/udev/rules.d/80-drivers.rules"
                    + " && rm -rf /tmp/initrd", 600);
            assertTrue(rules.ok(), "the new initrd's 80-drivers.rules must be udev's own: " + rules);
            assertTrue(rules.out().lines().noneMatch(l -> l.contains("/etc/udev/")), "a /etc copy in the initrd: " + rules);
            // the new kernel and initrd out to the host (QEMU boots them directly), a tar on the blank second disk
            String files = "vmlinuz-" + rel + " initrd.img-" + rel;
            String sums = g.ok("tar -C /boot -cf /dev/vdb " + files + " && sync && cd /boot && sha256sum " + files);
            Path out = g.dir.resolve("upgrade");
            Process untar = new ProcessBuilder("sh", "-c", "rm -rf \"$1\" && mkdir -p \"$1\" && tar -xf \"$2\" -C \"$1\"", "sh",
                    out.toString(), g.dir.resolve("export.raw").toString()).redirectErrorStream(true).start();
            String untarOut = new String(untar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, untar.waitFor(), "tar -xf export.raw: " + untarOut);
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (String l : sums.lines().toList()) {
                String[] f = l.split("\\s+");
                assertEquals(f[0], java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(out.resolve(f[1])))), f[1] + " copied out");
            }
            // the reboot: a clean shutdown; boots 2 and 3 start from this system with the new kernel
            Path system = g.powerOff(300);
            newRelease = rel;
            upgraded = new DebianGuest.From(system, out.resolve("vmlinuz-" + rel), out.resolve("initrd.img-" + rel));
        });
    }

    // ---- boot 2: udev, the reference ---------------------------------------------------------------

    @Test
    @Order(14)
    void udevLoadsTheSameModulesAsLkmd() throws Exception {
        lkmd.close(); // one guest at a time: 2 host cores
        // the upgraded system on its new kernel (figures only: the image on its own kernel, as boot 1)
        DebianGuest.From from = upgraded != null ? upgraded : DebianGuest.From.IMAGE;
        try (DebianGuest udev = DebianGuest.boot(REPO, image, from, "udev", BOOT_TIMEOUT_S,
                "rw", "systemd.mask=lkmd.service", "systemd.mask=lkmd-kernel.socket")) {
            diagnosed(udev, g -> {
                String rel = g.ok("uname -r").strip();
                if (upgraded != null) {
                    assertEquals(newRelease, rel, "the udev boot's kernel");
                }
                assertEquals("inactive", g.run("systemctl is-active lkmd.service").out().strip(), "lkmd masked");
                assertNoMask(g, "a boot without lkmd");
                g.ok("udevadm settle --timeout=300");
                waitModulesQuiet(g);
                Modules mods = modules(g);
                udevModules = procModules(g);
                udevEvents = udevEvents(g);
                figures.add(String.format("DEBIAN-FIGURES boot=udev kernel=%s kernel_to_udevd_ready_ms=%d kernel_to_udev_trigger_done_ms=%d"
                                + " kernel_to_last_driver_ms=%d boot_finished_ms=%d modules_after_initramfs=%d udev_events=%s",
                        rel, monotonicMs(g, "systemd-udevd", "ActiveEnterTimestampMonotonic"),
                        monotonicMs(g, "systemd-udev-trigger", "ActiveEnterTimestampMonotonic"), mods.lastMs(),
                        monotonicMs(g, null, "FinishTimestampMonotonic"), mods.after.size(), udevEvents));
                // compared with lkmd on the same kernel and initrd: here boot 1 when only the figures are
                // wanted; else boot 3 (what Debian's initramfs loads, and so which devices appear only
                // after udevd starts, differs between the two kernels' initrds)
                if (rel.equals(oldRelease)) {
                    assumeTrue(lkmdColdplugModules != null, "the lkmd boot did not get as far as its module list");
                    assertSameWorkAsUdev(lkmdColdplugModules, lkmdUdevEvents);
                }
            });
        }
    }

    // ---- boot 3: the upgraded system, read-only root ------------------------------------------------

    @Test
    @Order(15)
    void lkmdStartsOnTheNewKernelFromItsNewInitrdOnAReadOnlyRoot() throws Exception {
        assumeFalse(FIGURES_ONLY, "lkmd.debian.figuresOnly=true");
        assumeTrue(upgraded != null, "the lkmd boot did not upgrade its kernel");
        newKernel = DebianGuest.boot(REPO, image, upgraded, "upgraded", BOOT_TIMEOUT_S, "ro",
                "systemd.mask=systemd-remount-fs.service", "systemd.mask=kmod-static-nodes.service");
        diagnosed(newKernel, g -> {
            // the new kernel, booted from the initrd its package made: that initrd's udev found and mounted the root
            assertEquals(newRelease, g.ok("uname -r").strip(), "the kernel after the upgrade");
            assertEquals("/dev/vda", g.ok("findmnt -no SOURCE /").strip(), "root");
            assertTrue(g.ok("findmnt -no OPTIONS /").startsWith("ro"), "root not read-only");
            assertEquals("active", g.waitActive(), "systemctl is-active lkmd on a read-only root");
            Set<String> named = named(loaded(journal(g, 0)));
            assertTrue(named.contains("snd_hda_intel"), "lkmd must load snd_hda_intel on a read-only root: " + named);
            assertTrue(procModules(g).contains("snd_hda_intel"));
            List<String> rofs = journal(g, 0).stream().filter(l -> l.contains("Read-only file system")).toList();
            assertEquals(List.of(), rofs, "lkmd must not need to write outside /run");
            waitModulesQuiet(g);
            Map<String, Integer> events = udevEvents(g);
            lkmdFigures(g, "lkmd-upgraded-ro", newRelease, modules(g), events);
            assumeTrue(udevModules != null, "the udev boot did not get as far as its module list");
            assertSameWorkAsUdev(procModules(g), events);
            // kmod's static-nodes unit masked: lkmd's wrote the list, the nodes exist, opening one loads its
            // module through the kernel's request to lkmd's helper
            assertEquals("active", g.run("systemctl is-active lkmd-static-nodes.service").out().strip(),
                    g.run("systemctl status kmod-static-nodes.service lkmd-static-nodes.service --no-pager").out());
            g.ok("grep -qx 'c! /dev/net/tun 0600 - - - 10:200' /run/tmpfiles.d/static-nodes.conf && test -c /dev/net/tun");
            assertEquals(HELPER, g.ok("sysctl -n kernel.modprobe").strip());
            assertTrue(!procModules(g).contains("tun"), "tun loaded before its node was opened");
            g.ok(": <>/dev/net/tun");
            assertTrue(procModules(g).contains("tun"), "tun not loaded after /dev/net/tun was opened");
            String explain = g.ok("lkmd explain char-major-10-200");
            assertTrue(explain.contains("kernel request char-major-10-200 at "), explain);
        });
    }

    @Test
    @Order(16)
    void removeReinstallAndPurgeFollowDebianPolicy() throws Exception {
        assumeFalse(FIGURES_ONLY, "lkmd.debian.figuresOnly=true");
        assumeTrue(newKernel != null, "boot 3 did not come up");
        diagnosed(newKernel, g -> {
            g.ok("mount -o remount,rw /"); // boot 3's root is read-only
            DebianGuest.Cmd remove = g.run("apt-get remove -y lkmd 2>&1");
            assertEquals(0, remove.rc(), remove.toString());
            assertClean(remove);
            assertEquals("deinstall ok config-files", status(g), "dpkg status after remove");
            assertTrue(g.run("test -f /etc/lkmd/lkmd.toml").ok(), "the conffile must stay on remove");
            assertNoMask(g, "remove");
            assertEquals("/sbin/modprobe", g.ok("cat /proc/sys/kernel/modprobe").strip(), "kernel.modprobe after remove");
            // udev loads modules again at once: a device added now gets its driver from udev
            g.deviceAdd("{\"driver\":\"usb-audio\",\"bus\":\"xhci.0\",\"audiodev\":\"snd0\",\"id\":\"haudio\"}");
            assertTrue(g.run(moduleWait("snd_usb_audio", 180)).ok(), "udev did not load snd_usb_audio after lkmd's removal");
            assertTrue(g.run("test ! -e /lib/systemd/system/lkmd.service && test ! -e /usr/bin/lkmd").ok(), "program and units go on remove");
            assertNotEquals("active", g.run("systemctl is-active lkmd.service").out().strip());
            assertNotEquals("active", g.run("systemctl is-active lkmd-kernel.socket").out().strip());

            DebianGuest.Cmd install = g.run("dpkg -i /root/lkmd.deb 2>&1", 600);
            assertEquals(0, install.rc(), install.toString());
            assertClean(install);
            assertEquals("install ok installed", status(g));
            assertEquals("active", g.waitActive(), "lkmd after dpkg -i");
            assertEquals(HELPER, g.ok("cat /proc/sys/kernel/modprobe").strip(), "kernel.modprobe after dpkg -i");
            assertEquals("/dev/null", g.run("readlink /run/udev/rules.d/80-drivers.rules").out().strip(), "mask back after dpkg -i");

            // an upgrade from a version that masked udev's rules under /etc (its lkmd.service did not
            // pull in lkmd-udev-mask.service): that link goes, the mask is under /run
            g.ok("sed -i '/lkmd-udev-mask/d' /lib/systemd/system/lkmd.service && systemctl daemon-reload"
                    + " && ln -s /dev/null /etc/udev/rules.d/80-drivers.rules");
            DebianGuest.Cmd upgrade = g.run("dpkg -i /root/lkmd.deb 2>&1", 600);
            assertEquals(0, upgrade.rc(), upgrade.toString());
            assertClean(upgrade);
            assertTrue(upgrade.out().contains("removed the old mask /etc/udev/rules.d/80-drivers.rules"), upgrade.toString());
            assertTrue(g.run("test ! -e /etc/udev/rules.d/80-drivers.rules && test ! -L /etc/udev/rules.d/80-drivers.rules").ok(),
                    "the old /etc mask must go on upgrade");
            assertEquals("active", g.waitActive(), "lkmd after the upgrade");
            assertEquals("/dev/null", g.run("readlink /run/udev/rules.d/80-drivers.rules").out().strip(), "mask under /run after the upgrade");

            // an administrator's own 80-drivers.rules: left alone, one line, no mask made
            g.ok("printf '# mine\\n' >/etc/udev/rules.d/80-drivers.rules");
            double t = g.uptime();
            DebianGuest.Cmd mine = g.run("dpkg -i /root/lkmd.deb 2>&1", 600);
            assertEquals(0, mine.rc(), mine.toString());
            assertClean(mine);
            assertEquals(1, mine.out().lines().filter(l -> l.contains("/etc/udev/rules.d/80-drivers.rules is the administrator's")).count(),
                    mine.toString());
            assertEquals("active", g.waitActive(), "lkmd beside the administrator's rules");
            assertEquals("# mine", g.ok("cat /etc/udev/rules.d/80-drivers.rules").strip(), "the administrator's file changed");
            assertTrue(g.run("test ! -e /run/udev/rules.d/80-drivers.rules && test ! -L /run/udev/rules.d/80-drivers.rules").ok(),
                    "a mask was made beside the administrator's file");
            String said = g.ok("journalctl -b -u lkmd-udev-mask -o cat --no-pager");
            assertTrue(said.contains("/etc/udev/rules.d/80-drivers.rules is the administrator's: left alone"), said);
            g.ok("rm /etc/udev/rules.d/80-drivers.rules && systemctl restart lkmd.service");
            assertEquals("active", g.waitActive());
            assertEquals("/dev/null", g.run("readlink /run/udev/rules.d/80-drivers.rules").out().strip(), "mask after a restart");

            DebianGuest.Cmd purge = g.run("apt-get purge -y lkmd 2>&1");
            assertEquals(0, purge.rc(), purge.toString());
            assertClean(purge);
            assertEquals("", g.run("dpkg-query -W -f='${Status}' lkmd 2>/dev/null | grep -v not-installed").out().strip(),
                    "dpkg still knows lkmd after purge");
            String left = g.run("ls -d /etc/lkmd /var/cache/lkmd /var/lib/lkmd /usr/lib/lkmd /lib/systemd/system/lkmd*"
                    + " /etc/systemd/system/lkmd.service /etc/systemd/system/lkmd-kernel.socket"
                    + " /etc/systemd/system/*/lkmd.service /etc/systemd/system/*/lkmd-kernel.socket"
                    + " /var/lib/systemd/deb-systemd-helper-*/*lkmd.service* /var/lib/systemd/deb-systemd-helper-*/*lkmd-kernel.socket*"
                    + " /etc/udev/rules.d/80-drivers.rules 2>/dev/null").out().strip();
            assertEquals("", left, "left behind after purge");
            assertNotEquals("active", g.run("systemctl is-active lkmd.service").out().strip());
            assertNoMask(g, "purge");
            assertEquals("/sbin/modprobe", g.ok("cat /proc/sys/kernel/modprobe").strip(), "kernel.modprobe after purge");
            // (a hot-added usb-uas never reached this guest's xhci under TCG: a PCI device, as the NICs above)
            g.deviceAdd("{\"driver\":\"virtio-balloon-pci\",\"bus\":\"rp3\",\"id\":\"hballoon\"}");
            assertTrue(g.run(moduleWait("virtio_balloon", 180)).ok(), "udev did not load virtio_balloon after lkmd's purge");
        });
    }

    // ---- helpers -------------------------------------------------------------------------------------

    interface Step {
        void run(DebianGuest g) throws Exception;
    }

    /** A step in the lkmd boot, skipped when only the figures are wanted. */
    private void onLkmdBoot(Step step) throws Exception {
        assumeFalse(FIGURES_ONLY, "lkmd.debian.figuresOnly=true");
        diagnosed(lkmd, step);
    }

    /** Runs the checks; a failure carries the guest's console tail and lkmd's last journal lines. */
    private static void diagnosed(DebianGuest g, Step step) throws Exception {
        try {
            step.run(g);
        } catch (AssertionError e) {
            String journal;
            try {
                journal = g.run("journalctl -b -u lkmd -n 40 --no-pager -o short-monotonic", 60).out();
            } catch (Throwable t) {
                journal = "(no journal: " + t.getMessage() + ")";
            }
            throw new AssertionError(e.getMessage() + "\n--- " + g.name + ": journalctl -u lkmd (last 40) ---\n" + journal
                    + "\n--- " + g.name + ": console tail (" + g.dir.resolve("console.log") + ") ---\n" + g.consoleTail(40), e);
        }
    }

    /** A DEBIAN-FIGURES line for an lkmd boot. */
    private void lkmdFigures(DebianGuest g, String boot, String rel, Modules mods, Map<String, Integer> events) throws Exception {
        figures.add(String.format("DEBIAN-FIGURES boot=%s kernel=%s kernel_to_lkmd_exec_ms=%d kernel_to_lkmd_ready_ms=%d"
                        + " kernel_to_last_driver_ms=%d boot_finished_ms=%d modules_after_initramfs=%d udev_events=%s",
                boot, rel, monotonicMs(g, "lkmd", "ExecMainStartTimestampMonotonic"),
                monotonicMs(g, "lkmd", "ActiveEnterTimestampMonotonic"), mods.lastMs(),
                monotonicMs(g, null, "FinishTimestampMonotonic"), mods.after.size(), events));
    }

    /**
     * lkmd's boot (its modules after coldplug, and the events udevd processed beside it) against the
     * udev boot on the same kernel and initrd: the same modules, and udev's work not doubled (as
     * many add events processed by udevd as without lkmd).
     */
    private void assertSameWorkAsUdev(Set<String> lkmdModules, Map<String, Integer> lkmdUdev) {
        assertEquals(udevModules, lkmdModules, "/proc/modules after coldplug: lkmd boot (actual) vs udev boot (expected)");
        assertEquals(udevEvents.getOrDefault("add", 0), lkmdUdev.getOrDefault("add", 0),
                "add events udevd processed: lkmd boot " + lkmdUdev + " (actual) vs udev boot " + udevEvents + " (expected)");
    }

    /** Waits until no module went Live for 5 s (at most 2 min): late cascades such as the HDA codec are in. */
    private static void waitModulesQuiet(DebianGuest g) throws Exception {
        g.ok("q=0; for i in $(seq 120); do a=$(wc -l </proc/modules); sleep 1; b=$(wc -l </proc/modules);"
                + " if [ \"$a\" = \"$b\" ]; then q=$((q+1)); else q=0; fi; [ $q -ge 5 ] && break; done; true");
    }

    /** Events udevd finished processing in this boot, by action (from tests/debian/guest/lkmd-test-udevmon). */
    private static Map<String, Integer> udevEvents(DebianGuest g) throws Exception {
        Map<String, Integer> n = new java.util.TreeMap<>();
        for (String l : g.ok("cat /run/lkmd-test/udev-events.log").lines().toList()) {
            String[] f = l.strip().split("\\s+");
            if (f.length >= 4 && f[0].equals("UDEV") && f[1].startsWith("[")) {
                n.merge(f[2], 1, Integer::sum);
            }
        }
        return n;
    }

    /** udev's 80-drivers.rules masked nowhere: neither under /run nor under /etc. */
    private static void assertNoMask(DebianGuest g, String when) throws Exception {
        DebianGuest.Cmd c = g.run("ls -l /run/udev/rules.d/80-drivers.rules /etc/udev/rules.d/80-drivers.rules 2>/dev/null");
        assertEquals("", c.out().strip(), "udev's driver rules masked after " + when);
    }

    /** How many times lkmd's journal in this boot says it loaded MODULE for the kernel's request REQUEST. */
    private static long loadedFor(DebianGuest g, String module, String request) throws Exception {
        return g.ok("journalctl -b -u lkmd -o cat --no-pager").lines()
                .filter(l -> l.contains("Loaded module " + module + " for the kernel request " + request)).count();
    }

    private static String moduleWait(String module, int seconds) {
        return "for i in $(seq " + seconds + "); do grep -q '^" + module + " ' /proc/modules && exit 0; sleep 1; done; exit 1";
    }

    /** A guest command that succeeds once lkmd's journal has a line containing TEXT after uptime T. */
    private static String journalWait(String text, double t, int seconds) {
        return "for i in $(seq " + seconds + "); do journalctl -b -u lkmd -o short-monotonic --no-pager"
                + " | awk -v t=" + t + " '{ s=$0; sub(/^\\[ */, \"\", s); sub(/\\].*/, \"\", s); if (s + 0 >= t) print }'"
                + " | grep -qF '" + text + "' && exit 0; sleep 1; done; exit 1";
    }

    /** lkmd's journal lines (-o short-monotonic) from guest uptime T on. */
    private static List<String> journal(DebianGuest g, double t) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : g.ok("journalctl -b -u lkmd -o short-monotonic --no-pager").lines().toList()) {
            Matcher m = MONO.matcher(l);
            if (m.find() && Double.parseDouble(m.group(1)) >= t) {
                out.add(l);
            }
        }
        return out;
    }

    record Loaded(String module, String devpath, List<String> with) {
    }

    private static List<Loaded> loaded(List<String> journal) {
        List<Loaded> out = new ArrayList<>();
        for (String l : journal) {
            Matcher m = LOADED.matcher(l);
            if (m.find()) {
                out.add(new Loaded(m.group(1), m.group(2), m.group(3) == null ? List.of() : List.of(m.group(3).split(" "))));
            }
        }
        return out;
    }

    /** Every module a Loaded line names, the module itself and what it loaded with it. */
    private static Set<String> named(List<Loaded> loaded) {
        Set<String> s = new TreeSet<>();
        loaded.forEach(l -> {
            s.add(l.module());
            s.addAll(l.with());
        });
        return s;
    }

    /** What tests/debian/guest/lkmd-test-modwatch saw: modules Live at its first pass, and when the others went Live. */
    record Modules(Set<String> pre, Map<String, Long> after) {
        long lastMs() {
            return after.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        }
    }

    private static Modules modules(DebianGuest g) throws Exception {
        Set<String> pre = new TreeSet<>();
        Map<String, Long> after = new LinkedHashMap<>();
        for (String l : g.ok("cat /run/lkmd-test/modules.log").lines().toList()) {
            String[] f = l.strip().split(" ");
            if (f.length >= 2) {
                if (f.length > 2 && f[2].equals("pre")) {
                    pre.add(f[1]);
                } else {
                    after.put(f[1], Long.parseLong(f[0]));
                }
            }
        }
        return new Modules(pre, after);
    }

    private static Set<String> procModules(DebianGuest g) throws Exception {
        return g.ok("cut -d' ' -f1 /proc/modules").lines().collect(Collectors.toCollection(TreeSet::new));
    }

    /** A systemd monotonic timestamp (µs since the kernel started) in ms; unit null: the manager's. */
    private static long monotonicMs(DebianGuest g, String unit, String property) throws Exception {
        String v = g.ok("systemctl show " + (unit == null ? "" : unit + " ") + "-p " + property + " --value").strip();
        return v.isEmpty() ? -1 : Long.parseLong(v) / 1000;
    }

    private static String status(DebianGuest g) throws Exception {
        return g.run("dpkg-query -W -f='${Status}' lkmd").out().strip();
    }

    /** No error or warning from apt, dpkg or the maintainer scripts. */
    private static void assertClean(DebianGuest.Cmd c) {
        List<String> bad = c.out().lines().filter(l -> l.matches("(?i).*\\b(error|warning|failed)\\b.*|^[EW]: .*")).toList();
        assertEquals(List.of(), bad, c.toString());
    }

    /**
     * Breaks something, restarts lkmd, and expects the restart to fail promptly with the unit failed,
     * the exit status given, no automatic restart, and MESSAGE in the journal; then repairs it.
     */
    private static void failsWith(DebianGuest g, String what, String breakIt, String repair, int status, String message)
            throws Exception {
        double t = g.uptime();
        g.ok(breakIt);
        try {
            DebianGuest.Cmd restart = g.run("timeout 240 systemctl restart lkmd.service", 300);
            assertNotEquals(124, restart.rc(), what + ": systemctl restart hung");
            assertNotEquals(0, restart.rc(), what + ": systemctl restart succeeded");
            String show = g.ok("systemctl show lkmd.service -p ExecMainStatus -p Result -p NRestarts");
            String state = g.run("systemctl is-active lkmd.service").out().strip();
            List<String> journal = journal(g, t);
            System.out.printf("lkmd boot: %s: %s; %s; journal: %s%n", what, state, show.replace('\n', ' '),
                    journal.stream().filter(l -> l.contains(message)).findFirst().orElse("-"));
            assertEquals("failed", state, what + ": unit state (" + show + ")");
            assertTrue(show.contains("ExecMainStatus=" + status + "\n"), what + ": exit status " + status + " expected: " + show);
            assertTrue(show.contains("NRestarts=0"), what + ": restarted automatically: " + show);
            assertTrue(journal.stream().anyMatch(l -> l.contains(message)), what + ": no journal line with '" + message + "': " + journal);
        } finally {
            g.ok(repair + " && systemctl reset-failed lkmd.service lkmd-kernel.socket");
        }
    }
}
