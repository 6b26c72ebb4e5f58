package org.lkmd.rules;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.uevent.Uevent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RulesEngineTest {
    private static final String USB = "/devices/pci0000:00/0000:00:14.0/usb1/1-1";
    private static final String INTF = USB + "/1-1:1.0";

    @TempDir
    Path tmp;
    private Root root;
    private RulesEngine engine;

    /** A PCI controller, a USB device (idVendor 046d) with driver "usb", and its interface (no driver yet). */
    @BeforeEach
    void fakeSysfs() throws IOException {
        root = Root.of(tmp);
        Path sys = tmp.resolve("sys");
        Files.createDirectories(sys.resolve("bus/pci"));
        Files.createDirectories(sys.resolve("bus/usb/drivers/usb"));
        device(sys, "/devices/pci0000:00/0000:00:14.0", "pci", "xhci_hcd", Map.of("vendor", "0x8086\n"));
        device(sys, USB, "usb", "usb", Map.of("idVendor", "046d\n", "product", "USB Receiver  \n", "manufacturer", "Logi\ttech\n"));
        device(sys, INTF, "usb", null, Map.of("bInterfaceClass", "03\n", "modalias", "usb:v046Dp C52B\n"));
        Files.createDirectories(sys.resolve("devices/pci0000:00/0000:00:14.0").getParent());
        Files.createFile(sys.resolve("devices/pci0000:00/uevent"));
        engine = new RulesEngine(root, new ProcessProgramRunner(Duration.ofSeconds(5), 4096, List.of(Path.of("/bin"))));
    }

    private static void device(Path sys, String devpath, String subsystem, String driver, Map<String, String> attrs) throws IOException {
        Path d = sys.resolve(devpath.substring(1));
        Files.createDirectories(d);
        Files.writeString(d.resolve("uevent"), "");
        Path subsys = sys.resolve("bus").resolve(subsystem);
        Files.createDirectories(subsys);
        Files.createSymbolicLink(d.resolve("subsystem"), subsys);
        if (driver != null) {
            Path drv = subsys.resolve("drivers").resolve(driver);
            Files.createDirectories(drv);
            Files.createSymbolicLink(d.resolve("driver"), drv);
        }
        for (Map.Entry<String, String> a : attrs.entrySet()) {
            Files.writeString(d.resolve(a.getKey()), a.getValue());
        }
    }

    private RuleOutcome run(String rules, String action, Map<String, String> props) {
        ParseResult<RuleSet> set = RulesParser.parse("t.rules", rules);
        assertFalse(set.hasErrors(), set.diagnostics().toString());
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", action);
        p.put("DEVPATH", INTF);
        p.put("SUBSYSTEM", "usb");
        p.putAll(props);
        Uevent ev = new Uevent(action, INTF, 42, p);
        return engine.run(set.value().orElseThrow(), ev, SysfsDevice.of(root, INTF));
    }

    private RuleOutcome run(String rules) {
        return run(rules, "add", Map.of("MODALIAS", "usb:v046DpC52B", "DEVTYPE", "usb_interface"));
    }

    private static List<String> commands(RuleOutcome o) {
        return o.runs().stream().map(RunEntry::command).toList();
    }

    @Test
    void attrsWalksUpToTheParentThatHasAllAttributes() {
        RuleOutcome o = run("SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"046d\", RUN+=\"found $id $driver $attr{product}\"\n"
                + "ATTRS{idVendor}==\"046d\", ATTRS{vendor}==\"0x8086\", RUN+=\"never\"\n"
                + "KERNELS==\"0000:00:14.0\", DRIVERS==\"xhci_hcd\", RUN+=\"pci %b %d %s{vendor}\"\n");
        assertEquals(List.of("found 1-1 usb USB Receiver", "pci 0000:00:14.0 xhci_hcd 0x8086"), commands(o));
        assertEquals(List.of(new RuleSource("t.rules", 1), new RuleSource("t.rules", 3)), o.trace());
    }

    @Test
    void attrTrailingWhitespaceIsTrimmedUnlessThePatternEndsInWhitespace() {
        RuleOutcome o = run("ATTRS{product}==\"USB Receiver\", RUN+=\"trimmed\"\n"
                + "ATTRS{product}==\"USB Receiver  \", RUN+=\"exact\"\n"
                + "ATTR{nonexistent}!=\"x\", RUN+=\"missing attribute fails even !=\"\n");
        assertEquals(List.of("trimmed", "exact"), commands(o));
    }

    @Test
    void gotoSkipsForwardToLabel() {
        RuleOutcome o = run("ACTION==\"add\", GOTO=\"skip\"\nRUN+=\"skipped\", KERNEL==\"*\"\nLABEL=\"skip\"\nKERNEL==\"1-1:1.0\", RUN+=\"after\"\n");
        assertEquals(List.of("after"), commands(o));
        RuleOutcome remove = run("ACTION==\"add\", GOTO=\"skip\"\nKERNEL==\"*\", RUN+=\"not skipped\"\nLABEL=\"skip\"\n",
                "remove", Map.of());
        assertEquals(List.of("not skipped"), commands(remove));
    }

    @Test
    void envAssignmentIsSeenByLaterRulesAndTheSameRulesRun() {
        RuleOutcome o = run("KERNEL==\"1-1:*\", ENV{MY_CLASS}=\"hid\", RUN+=\"same line $env{MY_CLASS}\"\n"
                + "ENV{MY_CLASS}==\"hid\", ENV{MY_CLASS}+=\"more\", RUN+=\"next $env{MY_CLASS}\"\n"
                + "ENV{MY_CLASS}==\"hid more\", ENV{MY_CLASS}=\"\"\n"
                + "ENV{MY_CLASS}==\"\", RUN+=\"removed\"\n");
        assertEquals(List.of("same line hid", "next hid more", "removed"), commands(o));
        assertFalse(o.env().containsKey("MY_CLASS"));
        assertEquals("usb:v046DpC52B", o.env().get("MODALIAS"));
    }

    @Test
    void substitutionsFollowUdevTable() {
        RuleOutcome o = run("KERNEL==\"*\", RUN+=\"k=%k p=$devpath n=$number e=$env{DEVTYPE} s=$sys r=%r $$ %% $unknown %\"\n");
        assertEquals(List.of("k=1-1:1.0 p=" + INTF + " n=0 e=usb_interface s=/sys r=/dev $ % $unknown %"), commands(o));
    }

    @Test
    void attrSubstitutionReplacesUnsafeCharacters() {
        RuleOutcome plain = run("KERNEL==\"*\", RUN+=\"m=$attr{manufacturer}\"\n");
        // $attr looks at the device, then at the parent the last ATTRS/KERNELS/... match chose
        assertEquals(List.of("m="), commands(plain));
        RuleOutcome o = run("ATTRS{idVendor}==\"046d\", RUN+=\"m=$attr{manufacturer} a=$attr{modalias}\"\n");
        // whitespace becomes a plain space; the space inside the modalias is allowed
        assertEquals(List.of("m=Logi tech a=usb:v046Dp C52B"), commands(o));
    }

    @Test
    void programResultAndResultMatch() {
        RuleOutcome o = run("PROGRAM=\"/bin/echo one 'two three' $kernel\", RESULT==\"one two*\", RUN+=\"got %c{2} [$result{3+}]\"\n"
                + "PROGRAM=\"/bin/false\", RUN+=\"not run\"\n"
                + "PROGRAM!=\"/bin/false\", RUN+=\"negated $result\"\n"
                + "PROGRAM=\"echo relative\", RESULT==\"relative\", RUN+=\"helper dir\"\n");
        assertEquals(List.of("got two [three 1-1:1.0]", "negated ", "helper dir"), commands(o));
    }

    @Test
    void programIsNotRunThroughAShell() {
        // no shell expands $(id) or ; and unsafe characters of the output become _
        RuleOutcome o = run("PROGRAM=\"/bin/echo $(id) ; x\", RESULT==\"$_id_ _ x\", RUN+=\"literal\"\n");
        assertEquals(List.of("literal"), commands(o));
    }

    @Test
    void programTimesOutAndFails() {
        RulesEngine quick = new RulesEngine(root, new ProcessProgramRunner(Duration.ofMillis(300), 4096, List.of()));
        RuleSet set = RulesParser.parse("t.rules", "PROGRAM=\"/bin/sleep 5\", RUN+=\"no\"\n").value().orElseThrow();
        RuleOutcome o = quick.run(set, new Uevent("add", INTF, 1, Map.of()), SysfsDevice.of(root, INTF));
        assertEquals(List.of(), o.runs());
    }

    @Test
    void testKeyChecksFilesRelativeToTheDeviceAndUnderTheRoot() throws IOException {
        Files.createDirectories(tmp.resolve("etc/lkmd"));
        Files.writeString(tmp.resolve("etc/lkmd/flag"), "");
        RuleOutcome o = run("TEST==\"bInterfaceClass\", RUN+=\"relative\"\n"
                + "TEST==\"/etc/lkmd/flag\", RUN+=\"absolute under root\"\n"
                + "TEST!=\"/etc/lkmd/none\", RUN+=\"absent\"\n"
                + "TEST{0200}==\"bInterfaceClass\", RUN+=\"writable\"\n");
        assertEquals(List.of("relative", "absolute under root", "absent", "writable"), commands(o));
    }

    @Test
    void runAssignmentsClearAndFinalFreezes() {
        RuleOutcome o = run("KERNEL==\"*\", RUN+=\"a\", RUN+=\"b\"\nKERNEL==\"*\", RUN=\"c\"\nKERNEL==\"*\", RUN:=\"d\"\nKERNEL==\"*\", RUN+=\"e\"\n"
                + "KERNEL==\"*\", RUN+=\"d\"\n");
        assertEquals(List.of("d"), commands(o));
    }

    @Test
    void theSameCommandAddedTwiceRunsTwiceAsUdevKeepsBoth() {
        // udev 252: two identical RUN+= lines (program or builtin) give two "run:" lines in udevadm test
        RuleOutcome dup = run("KERNEL==\"*\", RUN+=\"x\"\nKERNEL==\"*\", RUN+=\"x\"\n"
                + "KERNEL==\"*\", RUN{builtin}+=\"kmod load m\"\nKERNEL==\"*\", RUN{builtin}+=\"kmod load m\"\n");
        assertEquals(List.of("x", "x", "kmod load m", "kmod load m"), commands(dup));
        RuleOutcome cleared = run("KERNEL==\"*\", RUN+=\"x\"\nKERNEL==\"*\", RUN=\"x\"\n");
        assertEquals(List.of("x"), commands(cleared));
    }

    @Test
    void lastRuleStopsProcessing() {
        RuleOutcome o = run("KERNEL==\"*\", RUN+=\"a\", OPTIONS+=\"last_rule\"\nKERNEL==\"*\", RUN+=\"b\"\n");
        assertEquals(List.of("a"), commands(o));
    }

    @Test
    void kmodLoadWithoutArgumentsMeansTheEventModalias() {
        RuleOutcome o = run("ENV{MODALIAS}==\"?*\", RUN{builtin}+=\"kmod load\"\n"
                + "KERNEL==\"*\", RUN{builtin}+=\"kmod load 'a b' c $env{DEVTYPE}\"\n"
                + "KERNEL==\"*\", RUN{builtin}+=\"kmod load $env{NOT_SET}\"\n");
        List<KmodBuiltin> loads = o.kmodLoads();
        assertEquals(3, loads.size());
        assertTrue(loads.get(0).loadsModalias());
        assertEquals(List.of(), loads.get(0).args());
        assertEquals(List.of("a b", "c", "usb_interface"), loads.get(1).args());
        assertFalse(loads.get(2).loadsModalias());
        assertEquals(List.of(), loads.get(2).args());
        assertEquals(new RuleSource("t.rules", 1), o.runs().get(0).source());
    }

    @Test
    void subsystemAndDriverComeFromTheEventThenSysfs() {
        RuleOutcome o = run("SUBSYSTEM==\"usb\", DRIVER==\"\", RUN+=\"no driver yet\"\n"
                + "SUBSYSTEM==\"subsystem|bus\", RUN+=\"never\"\n", "bind", Map.of("DRIVER", "usbhid"));
        assertEquals(List.of(), commands(o));
        RuleOutcome add = run("SUBSYSTEM==\"usb\", DRIVER==\"\", RUN+=\"no driver yet\"\n");
        assertEquals(List.of("no driver yet"), commands(add));
    }

    @Test
    void removeEventWorksWithoutSysfsDirectory() {
        RuleSet set = RulesParser.parse("t.rules", "ACTION==\"remove\", SUBSYSTEM==\"usb\", KERNEL==\"gone\", RUN+=\"bye %k\"\n")
                .value().orElseThrow();
        Uevent ev = new Uevent("remove", "/devices/x/gone", 7, Map.of("SUBSYSTEM", "usb"));
        RuleOutcome o = engine.run(set, ev, SysfsDevice.of(root, "/devices/x/gone"));
        assertEquals(List.of("bye gone"), commands(o));
    }
}
