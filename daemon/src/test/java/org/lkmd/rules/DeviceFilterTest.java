package org.lkmd.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** udevadm trigger's filters over hand-made devices: which of them each combination keeps. */
class DeviceFilterTest {

    record Dev(Path dir, String sysname, Optional<String> subsystem, Map<String, String> attrs,
               Map<String, String> properties) implements DeviceFilter.Candidate {
        @Override
        public Optional<String> attribute(String name) {
            return Optional.ofNullable(attrs.get(name));
        }
    }

    static Dev dev(String path, String subsystem, Map<String, String> attrs, Map<String, String> props) {
        Path dir = Path.of(path);
        return new Dev(dir, dir.getFileName().toString(), Optional.ofNullable(subsystem), attrs, props);
    }

    static final Dev HOST = dev("/sys/devices/pci0000:00/0000:00:00.0", "pci",
            Map.of("vendor", "0x8086", "device", "0x0d57", "driver_override", "(null)"),
            Map.of("DEVPATH", "/devices/pci0000:00/0000:00:00.0", "SUBSYSTEM", "pci", "PCI_ID", "8086:0D57"));
    static final Dev NET = dev("/sys/devices/pci0000:00/0000:00:03.0", "pci",
            Map.of("vendor", "0x1af4", "device", "0x1041", "driver", "virtio-pci"),
            Map.of("DEVPATH", "/devices/pci0000:00/0000:00:03.0", "SUBSYSTEM", "pci", "DRIVER", "virtio-pci",
                    "PCI_ID", "1AF4:1041"));
    static final Dev VIRTIO = dev("/sys/devices/pci0000:00/0000:00:03.0/virtio2", "virtio",
            Map.of("vendor", "0x1af4", "device", "0x0001", "driver", "virtio_net"),
            Map.of("DEVPATH", "/devices/pci0000:00/0000:00:03.0/virtio2", "SUBSYSTEM", "virtio",
                    "DRIVER", "virtio_net", "MODALIAS", "virtio:d00000001v00001AF4"));
    static final Dev CLOCK = dev("/sys/devices/system/clocksource/clocksource0", "clocksource",
            Map.of("available_clocksource", "tsc kvm-clock "),
            Map.of("DEVPATH", "/devices/system/clocksource/clocksource0", "SUBSYSTEM", "clocksource"));
    static final Dev ROOT_BUS = dev("/sys/devices/pci0000:00", null, Map.of(), Map.of("DEVPATH", "/devices/pci0000:00"));
    static final List<Dev> ALL = List.of(HOST, NET, VIRTIO, CLOCK, ROOT_BUS);

    static List<Dev> kept(Consumer<DeviceFilter.Builder> setup) {
        DeviceFilter.Builder b = DeviceFilter.builder();
        setup.accept(b);
        DeviceFilter f = b.build();
        return ALL.stream().filter(f::matches).toList();
    }

    static Stream<Arguments> combinations() {
        return Stream.of(
                Arguments.of("no filter: every device with a subsystem", (Consumer<DeviceFilter.Builder>) b -> { },
                        List.of(HOST, NET, VIRTIO, CLOCK)),
                Arguments.of("subsystem glob", (Consumer<DeviceFilter.Builder>) b -> b.subsystem("p?i"),
                        List.of(HOST, NET)),
                Arguments.of("two subsystems OR", (Consumer<DeviceFilter.Builder>) b -> b.subsystem("virtio").subsystem("clock*"),
                        List.of(VIRTIO, CLOCK)),
                Arguments.of("subsystem nomatch wins over match", (Consumer<DeviceFilter.Builder>) b -> b.subsystem("*").nomatchSubsystem("pci"),
                        List.of(VIRTIO, CLOCK)),
                Arguments.of("attribute exists", (Consumer<DeviceFilter.Builder>) b -> b.attr("vendor"),
                        List.of(HOST, NET, VIRTIO)),
                Arguments.of("attribute value glob", (Consumer<DeviceFilter.Builder>) b -> b.attr("device=0x104[15]"),
                        List.of(NET)),
                Arguments.of("two values of one attribute OR", (Consumer<DeviceFilter.Builder>) b -> {
                    b.attr("device=0x0d57");
                    b.attr("device=0x0001");
                }, List.of(HOST, VIRTIO)),
                Arguments.of("two attributes AND", (Consumer<DeviceFilter.Builder>) b -> {
                    b.attr("vendor=0x1af4");
                    b.attr("driver=virtio-pci");
                }, List.of(NET)),
                Arguments.of("a value without its trailing space does not match", (Consumer<DeviceFilter.Builder>) b -> b.attr("available_clocksource=*clock"),
                        List.of()),
                Arguments.of("the trailing space is part of the value", (Consumer<DeviceFilter.Builder>) b -> b.attr("available_clocksource=*clock "),
                        List.of(CLOCK)),
                Arguments.of("attribute nomatch with a value", (Consumer<DeviceFilter.Builder>) b -> b.nomatchAttr("vendor=0x1af4"),
                        List.of(HOST, CLOCK)),
                Arguments.of("attribute nomatch without a value: the attribute exists", (Consumer<DeviceFilter.Builder>) b -> b.nomatchAttr("vendor"),
                        List.of(CLOCK)),
                Arguments.of("attribute match and nomatch together", (Consumer<DeviceFilter.Builder>) b -> {
                    b.attr("vendor=0x1af4");
                    b.nomatchAttr("device=0x1041");
                }, List.of(VIRTIO)),
                Arguments.of("no value after a value: any value", (Consumer<DeviceFilter.Builder>) b -> {
                    b.attr("vendor=0x8086");
                    b.attr("vendor");
                }, List.of(HOST, NET, VIRTIO)),
                Arguments.of("a value after no value: only that value", (Consumer<DeviceFilter.Builder>) b -> {
                    b.attr("vendor");
                    b.attr("vendor=0x8086");
                }, List.of(HOST)),
                Arguments.of("empty value matches only an empty attribute", (Consumer<DeviceFilter.Builder>) b -> b.attr("driver_override="),
                        List.of()),
                Arguments.of("property", (Consumer<DeviceFilter.Builder>) b -> b.property("DRIVER=virtio*"),
                        List.of(NET, VIRTIO)),
                Arguments.of("two properties OR", (Consumer<DeviceFilter.Builder>) b -> {
                    b.property("SUBSYSTEM=clocksource");
                    b.property("MODALIAS=virtio:*");
                }, List.of(VIRTIO, CLOCK)),
                Arguments.of("property key glob", (Consumer<DeviceFilter.Builder>) b -> b.property("PCI_*=1AF4:*"),
                        List.of(NET)),
                Arguments.of("sysname glob", (Consumer<DeviceFilter.Builder>) b -> b.sysname("virtio*"),
                        List.of(VIRTIO)),
                Arguments.of("two sysnames OR", (Consumer<DeviceFilter.Builder>) b -> b.sysname("virtio2").sysname("clocksource0"),
                        List.of(VIRTIO, CLOCK)),
                Arguments.of("parent: itself and below", (Consumer<DeviceFilter.Builder>) b -> b.parent(NET.dir()),
                        List.of(NET, VIRTIO)),
                Arguments.of("parent is by path element, not by string prefix",
                        (Consumer<DeviceFilter.Builder>) b -> b.parent(Path.of("/sys/devices/pci0000:00/0000:00:0")),
                        List.of()),
                Arguments.of("different kinds AND", (Consumer<DeviceFilter.Builder>) b -> {
                    b.subsystem("pci");
                    b.property("DRIVER=*");
                    b.attr("vendor=0x1af4");
                }, List.of(NET)),
                Arguments.of("nothing matches", (Consumer<DeviceFilter.Builder>) b -> b.subsystem("nosuch"),
                        List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combinations")
    void keepsWhatUdevadmKeeps(String what, Consumer<DeviceFilter.Builder> setup, List<Dev> expected) {
        assertEquals(expected, kept(setup), what);
    }

    @Test
    void malformedValuesAreRefusedAndAddNothing() {
        DeviceFilter.Builder b = DeviceFilter.builder();
        assertEquals(Optional.of("--property-match 'DRIVER': expected KEY=VALUE"), b.property("DRIVER"));
        assertEquals(Optional.of("--property-match '=x': expected KEY=VALUE"), b.property("=x"));
        assertEquals(Optional.of("--attr-match '=x': no attribute name"), b.attr("=x"));
        assertTrue(b.nomatchAttr("").isPresent());
        assertTrue(b.attr("../../../etc/passwd").isPresent());
        assertTrue(b.attr("/etc/passwd=x").isPresent());
        assertEquals(Optional.empty(), b.attr("power/control=on"));
        DeviceFilter f = b.build();
        assertTrue(f.parents().isEmpty());
        assertFalse(f.matches(HOST), "power/control is not among HOST's attributes");
    }

    @Test
    void patternsAreByteStrings() {
        Dev utf8 = dev("/sys/devices/x/caf\u00e9", "misc", Map.of("label", "caf\u00c3\u00a9"), Map.of());
        DeviceFilter f = DeviceFilter.builder().sysname("caf?").build();
        assertFalse(f.matches(utf8), "é is two bytes: ? matches one");
        f = DeviceFilter.builder().sysname("caf??").build();
        assertTrue(f.matches(utf8));
        DeviceFilter.Builder b = DeviceFilter.builder();
        b.attr("label=caf\u00e9");
        assertTrue(b.build().matches(utf8), "an attribute read byte per char matches the UTF-8 pattern");
    }
}
