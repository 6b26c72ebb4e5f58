package org.lkmd.uevent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.lkmd.base.Root;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which directories under {@code <root>/sys} are devices, as systemd 252's sd-device sees them, for
 * {@code lkmd trigger}'s filters: a directory below {@code /sys/devices} is a device when it has a
 * {@code uevent} file, any other directory below {@code /sys} is one. A device's subsystem is the
 * basename of its {@code subsystem} link, else implicit: {@code module} below {@code /sys/module/},
 * {@code drivers} for a path containing {@code /drivers/} or ending in {@code /drivers},
 * {@code subsystem} below {@code /sys/bus/}, {@code /sys/class/} or {@code /sys/subsystem/}.
 * Paths handed out are real paths (links resolved).
 */
public final class SysfsTree {
    private static final Logger log = LoggerFactory.getLogger(SysfsTree.class);

    /** sd-device's bound on how deep it looks below a parent. */
    static final int MAX_DEPTH = 256;

    private final Root root;
    private final Path sys;
    private final Path realSys;

    public SysfsTree(Root root) {
        this.root = Objects.requireNonNull(root, "root");
        this.sys = root.resolve("/sys");
        Path r;
        try {
            r = sys.toRealPath();
        } catch (IOException e) {
            r = sys.toAbsolutePath().normalize();
        }
        this.realSys = r;
    }

    /**
     * The device {@code udevadm trigger --parent-match} would open for {@code id}: a device node
     * ({@code /dev/vda}, through {@code /sys/dev/block|char/MAJOR:MINOR}), a path under
     * {@code /sys} (links followed), or a devpath ({@code /devices/...} or {@code devices/...}) that
     * is one once {@code /sys} is put in front. Empty when it names no device.
     */
    public Optional<Path> findDevice(String id) {
        if (id.isEmpty() || id.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        if (id.startsWith("/")) {
            Path p = Path.of(id).normalize();
            if (p.startsWith("/dev")) {
                Optional<Path> d = fromDevnode(p);
                if (d.isPresent()) {
                    return d;
                }
            } else {
                Optional<Path> d = asDevice(root.resolve(id));
                if (d.isPresent()) {
                    return d;
                }
            }
            if (p.startsWith("/sys")) {
                return Optional.empty();
            }
        }
        String rest = id.startsWith("/") ? id.substring(1) : id;
        return asDevice(sys.resolve(rest));
    }

    private Optional<Path> fromDevnode(Path devnode) {
        Path node = root.resolve(devnode.toString());
        try {
            int mode = (Integer) Files.getAttribute(node, "unix:mode");
            long rdev = (Long) Files.getAttribute(node, "unix:rdev");
            String kind = switch (mode & 0170000) {
                case 0020000 -> "char";
                case 0060000 -> "block";
                default -> null;
            };
            if (kind == null) {
                return Optional.empty();
            }
            // glibc's major()/minor() for a 64-bit dev_t
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            return asDevice(sys.resolve("dev").resolve(kind).resolve(major + ":" + minor));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The real path of {@code p} when it is a device, else empty. */
    Optional<Path> asDevice(Path p) {
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!real.startsWith(realSys) || real.equals(realSys) || !Files.isDirectory(real)) {
            return Optional.empty();
        }
        Path devices = realSys.resolve("devices");
        if (real.startsWith(devices) && !Files.exists(real.resolve("uevent"), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(real);
    }

    /**
     * The device's parent as sd-device finds it: the nearest directory above it, below
     * {@code /sys}, that is a device.
     */
    public Optional<Path> parent(Path dir) {
        for (Path p = dir.getParent(); p != null && p.startsWith(realSys) && !p.equals(realSys); p = p.getParent()) {
            Optional<Path> d = asDevice(p);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    /** The devpath of a real directory under {@code /sys}: {@code /devices/...}. */
    public String devpath(Path dir) {
        Path base = dir.startsWith(realSys) ? realSys : sys;
        StringBuilder sb = new StringBuilder();
        for (Path part : base.relativize(dir)) {
            sb.append('/').append(part);
        }
        return sb.toString();
    }

    /** The device's subsystem: its {@code subsystem} link's basename, else the implicit one. */
    public Optional<String> subsystem(Path dir) {
        Path link = dir.resolve("subsystem");
        if (Files.isSymbolicLink(link)) {
            try {
                Path target = Files.readSymbolicLink(link).getFileName();
                if (target != null) {
                    return Optional.of(target.toString());
                }
            } catch (IOException e) {
                log.debug("Failed to read {}: {}, ignoring", link, e.toString());
            }
        }
        String devpath = devpath(dir);
        if (devpath.startsWith("/module/")) {
            return Optional.of("module");
        }
        String path = dir.toString();
        if (path.contains("/drivers/") || path.endsWith("/drivers")) {
            return Optional.of("drivers");
        }
        if (devpath.startsWith("/subsystem/") || devpath.startsWith("/class/") || devpath.startsWith("/bus/")) {
            return Optional.of("subsystem");
        }
        return Optional.empty();
    }

    /**
     * The {@code uevent} files of {@code parent} and of every device below it that has a subsystem
     * and a {@code uevent} file, in devpath order: the directories sd-device's enumerator visits for
     * a parent match (links not followed, at most {@link #MAX_DEPTH} levels), less those the kernel
     * would send no event for.
     */
    public List<Path> ueventFilesUnder(Path parent) {
        TreeMap<String, Path> out = new TreeMap<>();
        add(out, parent);
        crawl(out, parent, MAX_DEPTH);
        return List.copyOf(out.values());
    }

    private void crawl(TreeMap<String, Path> out, Path dir, int depth) {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path c : ds) {
                if (!c.getFileName().toString().startsWith(".") && Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    children.add(c);
                }
            }
        } catch (IOException e) {
            log.debug("Failed to list {}: {}, ignoring", dir, e.toString());
            return;
        }
        for (Path c : children) {
            if (depth > 0) {
                crawl(out, c, depth - 1);
            }
            add(out, c);
        }
    }

    private void add(TreeMap<String, Path> out, Path dir) {
        Path uevent = dir.resolve("uevent");
        if (asDevice(dir).isPresent() && subsystem(dir).isPresent()
                && Files.isRegularFile(uevent, LinkOption.NOFOLLOW_LINKS)) {
            out.putIfAbsent(devpath(dir), uevent);
        }
    }

    /**
     * The properties udev sees for a device: {@code DEVPATH}, {@code SUBSYSTEM} (when it has one),
     * then the {@code KEY=VALUE} lines of its {@code uevent} file, with {@code DEVNAME} made absolute
     * under {@code /dev} as udev does; byte per char (ISO-8859-1). An unreadable (write-only) or
     * oversized {@code uevent} file adds nothing.
     */
    public Map<String, String> properties(Path dir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("DEVPATH", devpath(dir));
        subsystem(dir).ifPresent(s -> p.put("SUBSYSTEM", s));
        Coldplug.readUevent(dir.resolve("uevent")).ifPresent(lines -> lines.forEach((k, v) -> {
            if (k.equals("DEVNAME") && !v.startsWith("/")) {
                v = "/dev/" + v;
            }
            p.putIfAbsent(latin1(k), latin1(v));
        }));
        return p;
    }

    private static String latin1(String utf8) {
        return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        return "SysfsTree[" + sys + "]";
    }
}
