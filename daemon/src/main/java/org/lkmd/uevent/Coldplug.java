package org.lkmd.uevent;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.lkmd.base.Root;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices that existed before the daemon started ("coldplug"), found under {@code <root>/sys}.
 *
 * <ul>
 * <li>{@link Mode#TRIGGER}: ask the kernel to re-send an event for every subsystem and device, as
 * {@code udevadm trigger --type=subsystems} then {@code --type=devices} do: write the action
 * (optionally followed by a UUID, which the kernel echoes back as {@code SYNTH_UUID} so the caller
 * can recognise its own events) into each {@code uevent} file. Subsystems are
 * {@code /sys/module/*}, {@code /sys/bus/*} and {@code /sys/bus/*}{@code /drivers/*}; devices are
 * {@code /sys/bus/*}{@code /devices/*} and {@code /sys/class/*}{@code /*}, de-duplicated by real
 * path and written in devpath order, so parents come before their children. The events then
 * arrive through the netlink source like any other.</li>
 * <li>{@link Mode#SCAN}: no kernel round trip, no {@code uevent} file written ({@link #scanAdd}):
 * the same subsystems and devices as trigger, in the same order, each as the {@code add} event the
 * kernel would have sent, read from sysfs, for the queue directly.</li>
 * <li>{@link #scan()}, the way to resynchronise after an {@linkplain UeventSink#overflow()
 * overflow}: visit every device under {@code /sys/devices} and synthesise an {@code add} event
 * ({@code ACTION}, {@code DEVPATH}, {@code SUBSYSTEM} from the {@code subsystem} link,
 * {@code DRIVER} from the {@code driver} link when bound, {@code MODALIAS}) without a SEQNUM for
 * each one with a modalias. A device is a directory with
 * a {@code uevent} file and a {@code subsystem} link (the kernel sends no event for anything
 * else: {@code /sys/devices/system/cpu} has a {@code modalias} file but no subsystem). Its
 * modalias is the {@code MODALIAS=} line of its {@code uevent} file, else its {@code modalias} file:
 * some devices have only the first (cpu features on {@code /devices/system/cpu/cpuN}, whose
 * aliases load e.g. crypto drivers), most have both, always equal.</li>
 * <li>{@link Mode#OFF}: nothing.</li>
 * </ul>
 * Unreadable or unwritable entries are skipped and reported; one bad device never stops the rest.
 */
public final class Coldplug {
    private static final Logger log = LoggerFactory.getLogger(Coldplug.class);

    /** A sysfs attribute is at most a page; more is not sysfs. */
    static final int MAX_ATTRIBUTE = 4096;
    /** The actions the kernel accepts in a {@code uevent} file ({@code kobject_action}). */
    public static final Set<String> ACTIONS =
            Set.of("add", "remove", "change", "move", "online", "offline", "bind", "unbind");

    /** How the daemon handles coldplug at start. */
    public enum Mode {
        TRIGGER, SCAN, OFF;

        /** {@code trigger}, {@code scan} or {@code off}, any case. */
        public static Mode parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    /**
     * What {@link #trigger} did.
     *
     * @param written every {@code uevent} file written, subsystems first, in write order
     * @param failed {@code uevent} files whose write failed, with the reason
     */
    public record TriggerReport(List<Path> written, Map<Path, String> failed) {
        public TriggerReport {
            written = List.copyOf(written);
            failed = Collections.unmodifiableMap(new LinkedHashMap<>(failed));
        }
    }

    private final Root root;
    private final Path sys;

    public Coldplug(Root root) {
        this.root = Objects.requireNonNull(root, "root");
        this.sys = root.resolve("/sys");
    }

    /** The subsystem-level {@code uevent} files, in trigger order. */
    public List<Path> subsystemUeventFiles() {
        Set<Path> out = new LinkedHashSet<>();
        for (Path module : children(sys.resolve("module"))) {
            addUevent(out, module);
        }
        for (Path bus : children(sys.resolve("bus"))) {
            addUevent(out, bus);
            for (Path driver : children(bus.resolve("drivers"))) {
                addUevent(out, driver);
            }
        }
        return List.copyOf(out);
    }

    /** The device {@code uevent} files, one per real device directory, in devpath order. */
    public List<Path> deviceUeventFiles() {
        TreeMap<String, Path> byDevpath = new TreeMap<>();
        List<Path> entries = new ArrayList<>();
        for (Path bus : children(sys.resolve("bus"))) {
            entries.addAll(children(bus.resolve("devices")));
        }
        for (Path cls : children(sys.resolve("class"))) {
            entries.addAll(children(cls));
        }
        for (Path entry : entries) {
            Path real;
            try {
                real = entry.toRealPath();
            } catch (IOException e) {
                log.debug("Failed to resolve {}: {}, ignoring", entry, e.toString());
                continue;
            }
            Path uevent = real.resolve("uevent");
            if (real.startsWith(sys.toAbsolutePath()) || real.startsWith(realSys())) {
                if (Files.isRegularFile(uevent)) {
                    byDevpath.putIfAbsent(devpath(real), uevent);
                }
            }
        }
        return List.copyOf(byDevpath.values());
    }

    /**
     * Writes {@code action} (plus {@code uuid} when given) to every subsystem, then every device
     * {@code uevent} file.
     */
    public TriggerReport trigger(String action, Optional<UUID> uuid) {
        if (!ACTIONS.contains(action)) {
            throw new IllegalArgumentException("not a uevent action: " + action);
        }
        byte[] text = uuid.map(u -> action + " " + u).orElse(action).getBytes(StandardCharsets.US_ASCII);
        List<Path> written = new ArrayList<>();
        Map<Path, String> failed = new LinkedHashMap<>();
        List<Path> targets = new ArrayList<>(subsystemUeventFiles());
        targets.addAll(deviceUeventFiles());
        for (Path f : targets) {
            // a plain open(2) and write(2): Files.writeString's channel machinery is many times the
            // bytecode per file, and this loop is on the boot's critical path
            try (FileOutputStream out = new FileOutputStream(f.toFile())) {
                out.write(text);
                written.add(f);
            } catch (IOException e) {
                // udevadm also carries on: e.g. ENODEV for a device going away meanwhile.
                failed.put(f, e.toString());
                log.debug("Failed to trigger {}: {}, ignoring", f, e.toString());
            }
        }
        if (!failed.isEmpty()) {
            log.warn("Failed to trigger {} of {} uevent files, ignoring them", failed.size(), targets.size());
        }
        return new TriggerReport(written, failed);
    }

    /**
     * The {@code add} events a {@link #trigger} would make the kernel send, read from sysfs instead:
     * the same entries in the same order (subsystems, then devices in devpath order), without
     * writing any {@code uevent} file, so another agent (udevd) replays nothing. Each event carries
     * {@code ACTION}, {@code DEVPATH} and {@code SUBSYSTEM} as the kernel would set them, then, for a
     * device, every {@code KEY=VALUE} line of its {@code uevent} file (which the kernel fills from the
     * same callbacks as the event: {@code DRIVER}, {@code MODALIAS}, {@code DEVTYPE}, {@code PRODUCT},
     * ...), and no SEQNUM or {@code SYNTH_UUID}. Subsystem entries: a module
     * ({@code /sys/module/NAME}, {@code SUBSYSTEM=module}, what {@code KERNEL=="parport_pc"} rules
     * match), a bus ({@code SUBSYSTEM=bus}) and a bus's driver ({@code SUBSYSTEM=drivers}). A device
     * whose {@code uevent} file cannot be read is skipped (the kernel sends no event for it either).
     */
    public List<Uevent> scanAdd() {
        List<Uevent> out = new ArrayList<>();
        for (Path f : subsystemUeventFiles()) {
            Path dir = f.getParent();
            String devpath = devpath(dir);
            String subsystem;
            if (devpath.startsWith("/module/")) {
                subsystem = "module";
            } else if (devpath.matches("/bus/[^/]+")) {
                subsystem = "bus";
            } else {
                subsystem = "drivers";
            }
            out.add(addEvent(devpath, subsystem, Map.of()));
        }
        for (Path f : deviceUeventFiles()) {
            Path dir = f.getParent();
            Optional<String> subsystem = linkName(dir.resolve("subsystem"));
            if (subsystem.isEmpty()) {
                continue;
            }
            Optional<Map<String, String>> props = readUevent(f);
            if (props.isEmpty()) {
                continue;
            }
            out.add(addEvent(devpath(dir), subsystem.get(), props.get()));
        }
        return List.copyOf(out);
    }

    private static Uevent addEvent(String devpath, String subsystem, Map<String, String> more) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", "add");
        p.put("DEVPATH", devpath);
        p.put("SUBSYSTEM", subsystem);
        more.forEach(p::putIfAbsent);
        return new Uevent("add", devpath, -1, p);
    }

    /** The {@code KEY=VALUE} lines of a device's {@code uevent} file, or empty when it cannot be read. */
    static Optional<Map<String, String>> readUevent(Path file) {
        byte[] b;
        try (InputStream in = Files.newInputStream(file)) {
            b = in.readNBytes(MAX_ATTRIBUTE + 1);
        } catch (IOException e) {
            log.debug("Failed to read {}: {}, ignoring the device", file, e.toString());
            return Optional.empty();
        }
        if (b.length > MAX_ATTRIBUTE) {
            log.warn("Failed to read {}: longer than {} bytes, ignoring the device", file, MAX_ATTRIBUTE);
            return Optional.empty();
        }
        Map<String, String> p = new LinkedHashMap<>();
        for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                p.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return Optional.of(p);
    }

    /** Synthesised {@code add} events for every device with a modalias, in devpath order. */
    public List<Uevent> scan() throws IOException {
        Path devices = sys.resolve("devices");
        if (!Files.isDirectory(devices)) {
            return List.of();
        }
        TreeMap<String, Uevent> out = new TreeMap<>();
        Files.walkFileTree(devices, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && file.getFileName().toString().equals("uevent")) {
                    synthesise(file.getParent()).ifPresent(e -> out.put(e.devpath(), e));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                log.debug("Failed to read {}: {}, ignoring", file, e.toString());
                return FileVisitResult.CONTINUE;
            }
        });
        return List.copyOf(out.values());
    }

    private Optional<Uevent> synthesise(Path dir) {
        Optional<String> subsystem = linkName(dir.resolve("subsystem"));
        if (subsystem.isEmpty()) {
            return Optional.empty();
        }
        String modalias = null;
        for (String line : readBounded(dir.resolve("uevent")).split("\n")) {
            if (line.startsWith("MODALIAS=")) {
                modalias = line.substring("MODALIAS=".length()).strip();
            }
        }
        if (modalias == null && Files.isRegularFile(dir.resolve("modalias"))) {
            modalias = readBounded(dir.resolve("modalias")).strip();
        }
        if (modalias == null || modalias.isEmpty()) {
            return Optional.empty();
        }
        String devpath = devpath(dir);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", "add");
        p.put("DEVPATH", devpath);
        p.put("SUBSYSTEM", subsystem.get());
        linkName(dir.resolve("driver")).ifPresent(d -> p.put("DRIVER", d));
        p.put("MODALIAS", modalias);
        return Optional.of(new Uevent("add", devpath, -1, p));
    }

    /** A sysfs attribute (at most a page), or "" when unreadable or too long. */
    private static String readBounded(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_ATTRIBUTE + 1);
            if (b.length > MAX_ATTRIBUTE) {
                log.warn("Failed to read {}: longer than {} bytes, ignoring", file, MAX_ATTRIBUTE);
                return "";
            }
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            log.debug("Failed to read {}: {}, ignoring", file, e.toString());
            return "";
        }
    }

    /** The devpath of a directory under {@code <root>/sys}: {@code /devices/...}. */
    private String devpath(Path dir) {
        Path base = dir.startsWith(sys) ? sys : realSys();
        StringBuilder sb = new StringBuilder();
        for (Path part : base.relativize(dir)) {
            sb.append('/').append(part);
        }
        return sb.toString();
    }

    private Path realSys() {
        try {
            return sys.toRealPath();
        } catch (IOException e) {
            return sys;
        }
    }

    /** The last element of a symlink's target ({@code subsystem -> ../../bus/pci} gives {@code pci}). */
    private static Optional<String> linkName(Path link) {
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        try {
            Path target = Files.readSymbolicLink(link).getFileName();
            return target == null ? Optional.empty() : Optional.of(target.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void addUevent(Set<Path> out, Path dir) {
        Path uevent = dir.resolve("uevent");
        if (Files.isRegularFile(uevent, LinkOption.NOFOLLOW_LINKS)) {
            out.add(uevent);
        }
    }

    /** The entries of a directory, sorted by name; empty when it is missing or unreadable. */
    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            log.debug("Failed to list {}: {}, ignoring", dir, e.toString());
        }
        out.sort(null);
        return out;
    }

    @Override
    public String toString() {
        return "Coldplug[" + root + "]";
    }
}
