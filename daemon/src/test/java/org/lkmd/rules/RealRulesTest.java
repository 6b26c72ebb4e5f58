package org.lkmd.rules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.base.Severity;
import org.lkmd.uevent.Uevent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Against files nobody on the team wrote: Debian's udev rules, and this machine's sysfs. */
class RealRulesTest {
    private static final Path UDEV_RULES = Path.of("/usr/lib/udev/rules.d");
    private static final Path SHIPPED = Path.of(System.getProperty("lkmd.testRoots", "../tests/roots"))
            .resolve("../../rules/80-lkmd-drivers.rules").normalize();

    @Test
    void everyDebianUdevRulesFileParsesWithoutErrors() {
        // other packages (lvm2, systemd-container...) drop a few rules there too: udev's own file says udev is in
        assumeTrue(Files.isRegularFile(UDEV_RULES.resolve("50-udev-default.rules")), "Debian's udev package is not installed");
        ParseResult<RuleSet> r = RulesLoader.load(List.of(UDEV_RULES));
        List<Diagnostic> errors = r.diagnostics().stream().filter(d -> d.severity() == Severity.ERROR).toList();
        assertEquals(List.of(), errors);
        RuleSet set = r.value().orElseThrow();
        long warnings = r.diagnostics().size();
        System.out.printf("Debian udev rules: %d files, %d rules, %d warnings%n", set.files().size(), set.size(), warnings);
        new TreeMap<>(set.ignoredKeys()).forEach((k, n) -> System.out.printf("  ignored %-32s %d%n", k, n));
        r.diagnostics().stream().filter(d -> !d.message().contains("is not used by lkmd"))
                .forEach(d -> System.out.println("  " + d));
        assertTrue(set.files().size() > 10);
        assertTrue(set.size() > 100);
    }

    @Test
    void debianDriversRulesLoadModaliasOnAddOnly(@TempDir Path tmp) throws IOException {
        Path debian = UDEV_RULES.resolve("80-drivers.rules");
        assumeTrue(Files.isRegularFile(debian), "Debian's udev package is not installed");
        Path dir = tmp.resolve("etc/lkmd/rules.d");
        Files.createDirectories(dir);
        Files.copy(debian, dir.resolve("80-drivers.rules"));
        checkAddOnly(Root.of(tmp));
    }

    @Test
    void shippedDriversRulesLoadModaliasOnAddOnly(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("usr/lib/lkmd/rules.d");
        Files.createDirectories(dir);
        Files.copy(SHIPPED, dir.resolve("80-lkmd-drivers.rules"));
        checkAddOnly(Root.of(tmp));
    }

    @Test
    void maskingAndOverridingAcrossDirectories(@TempDir Path tmp) throws IOException {
        Path etc = Files.createDirectories(tmp.resolve("etc/lkmd/rules.d"));
        Path lib = Files.createDirectories(tmp.resolve("usr/lib/lkmd/rules.d"));
        Files.copy(SHIPPED, lib.resolve("80-lkmd-drivers.rules"));
        Files.writeString(lib.resolve("10-first.rules"), "KERNEL==\"x\", RUN+=\"lib\"\n");
        Files.writeString(etc.resolve("10-first.rules"), "KERNEL==\"x\", RUN+=\"etc\"\n");
        Files.writeString(etc.resolve("90-last.rules.bak"), "garbage\n");
        Files.createSymbolicLink(etc.resolve("80-lkmd-drivers.rules"), Path.of("/dev/null"));
        ParseResult<RuleSet> r = RulesLoader.load(Root.of(tmp));
        RuleSet set = r.value().orElseThrow();
        assertEquals(List.of("/etc/lkmd/rules.d/10-first.rules"), set.files());
        assertEquals("etc", set.rules().get(0).actions().get(0).value());
    }

    @Test
    void unreadableRulesFileFailsTheWholeLoad(@TempDir Path tmp) throws IOException {
        Path etc = Files.createDirectories(tmp.resolve("etc/lkmd/rules.d"));
        Path f = etc.resolve("10-x.rules");
        Files.writeString(f, "KERNEL==\"x\", RUN+=\"y\"\n");
        // a symlink loop: chosen by name, reading it fails with ELOOP even as root
        Files.createSymbolicLink(etc.resolve("20-loop.rules"), etc.resolve("20-loop.rules"));
        // a dangling symlink is only a missing file, as for udev
        Files.createSymbolicLink(etc.resolve("30-dangling.rules"), tmp.resolve("nowhere"));
        ParseResult<RuleSet> r = RulesLoader.load(Root.of(tmp));
        assertTrue(r.value().isEmpty());
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.toString().startsWith("/etc/lkmd/rules.d/20-loop.rules: Failed to read")),
                r.diagnostics().toString());
    }

    private static void checkAddOnly(Root root) {
        ParseResult<RuleSet> r = RulesLoader.load(root);
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        RuleSet set = r.value().orElseThrow();
        RulesEngine engine = new RulesEngine(root, ProcessProgramRunner.defaults());
        String devpath = "/devices/pci0000:00/0000:00:1f.3";
        for (String action : List.of("add", "remove", "bind", "change")) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("ACTION", action);
            p.put("DEVPATH", devpath);
            p.put("SUBSYSTEM", "pci");
            p.put("MODALIAS", "pci:v00008086d00002930sv00001AF4sd00001100bc0Csc05i00");
            RuleOutcome o = engine.run(set, new Uevent(action, devpath, 1, p), SysfsDevice.of(root, devpath));
            if (action.equals("add")) {
                assertEquals(1, o.runs().size(), o.toString());
                assertTrue(o.kmodLoads().get(0).loadsModalias());
                assertEquals("kmod load", o.runs().get(0).command());
            } else {
                assertEquals(List.of(), o.runs(), action);
            }
        }
    }

    @Test
    void everyRealDeviceWithModaliasGetsExactlyOneKmodLoad() throws IOException {
        Path devices = Path.of("/sys/devices");
        assumeTrue(Files.isDirectory(devices), "no sysfs");
        RuleSet set = RulesParser.parse(SHIPPED.toString(), Files.readString(SHIPPED, StandardCharsets.ISO_8859_1))
                .value().orElseThrow();
        RulesEngine engine = new RulesEngine(Root.system(), ProcessProgramRunner.defaults());
        List<Path> uevents;
        try (Stream<Path> s = Files.walk(devices)) {
            uevents = s.filter(p -> p.getFileName().toString().equals("uevent") && Files.isRegularFile(p)).toList();
        }
        int withModalias = 0;
        List<String> wrong = new ArrayList<>();
        for (Path u : uevents) {
            String text;
            try {
                text = Files.readString(u, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                continue;
            }
            String devpath = "/" + Path.of("/sys").relativize(u.getParent());
            Map<String, String> props = new LinkedHashMap<>();
            props.put("ACTION", "add");
            props.put("DEVPATH", devpath);
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    props.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            RuleOutcome o = engine.run(set, new Uevent("add", devpath, -1, props), SysfsDevice.of(Root.system(), devpath));
            long modaliasLoads = o.kmodLoads().stream().filter(KmodBuiltin::loadsModalias).count();
            boolean has = props.containsKey("MODALIAS") && !props.get("MODALIAS").isEmpty();
            if (has) {
                withModalias++;
            }
            if (modaliasLoads != (has ? 1 : 0)) {
                wrong.add(devpath + " -> " + o.runs());
            }
        }
        System.out.printf("real sysfs: %d devices, %d with MODALIAS%n", uevents.size(), withModalias);
        assertEquals(List.of(), wrong);
        assertTrue(withModalias > 0);
    }
}
