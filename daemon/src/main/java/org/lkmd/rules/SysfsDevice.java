package org.lkmd.rules;

import org.lkmd.base.Root;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link Device} read from {@code <root>/sys<devpath>}: attributes are files, subsystem and
 * driver are the basenames of the {@code subsystem} and {@code driver} links, the parent is the
 * nearest ancestor directory with a {@code uevent} file. Bounds: an attribute larger than
 * {@link #MAX_ATTRIBUTE} bytes, a directory, an unreadable file or a name leading outside
 * {@code <root>/sys} reads as absent. Values are cached for the life of the instance (one event);
 * not thread-safe.
 */
public final class SysfsDevice implements Device {
    /** Largest attribute value read; larger files read as absent. */
    public static final int MAX_ATTRIBUTE = 64 * 1024;

    private final Path sysRoot;
    private final Path dir;
    private final String devpath;
    private final Map<String, Optional<String>> cache = new HashMap<>();
    private Optional<Device> parent;

    private SysfsDevice(Path sysRoot, String devpath) {
        this.sysRoot = sysRoot;
        this.devpath = devpath;
        int i = 0;
        while (i < devpath.length() && devpath.charAt(i) == '/') {
            i++;
        }
        this.dir = sysRoot.resolve(devpath.substring(i)).normalize();
    }

    /** The device at {@code devpath} ({@code /devices/...}) under {@code root}; it need not exist (remove events). */
    public static SysfsDevice of(Root root, String devpath) {
        return new SysfsDevice(root.resolve("/sys").normalize(), devpath.startsWith("/") ? devpath : "/" + devpath);
    }

    /**
     * The device udev names {@code [subsystem/sysname]}: {@code /sys/class/<s>/<n>},
     * {@code /sys/bus/<s>/devices/<n>} or, for {@code module}, {@code /sys/module/<n>}.
     */
    public static Optional<Device> lookup(Root root, String subsystem, String sysname) {
        Path sys = root.resolve("/sys").normalize();
        String name = sysname.replace('/', '!');
        for (Path p : new Path[]{sys.resolve("class").resolve(subsystem).resolve(name),
                sys.resolve("bus").resolve(subsystem).resolve("devices").resolve(name),
                "module".equals(subsystem) ? sys.resolve("module").resolve(name) : null}) {
            if (p == null || !p.normalize().startsWith(sys) || !Files.isDirectory(p)) {
                continue;
            }
            try {
                Path real = p.toRealPath();
                Path realSys = sys.toRealPath();
                if (real.startsWith(realSys)) {
                    return Optional.of(new SysfsDevice(sys, "/" + realSys.relativize(real)));
                }
            } catch (IOException e) {
                // gone between the check and the resolution: not found
            }
        }
        return Optional.empty();
    }

    @Override
    public String sysname() {
        String base = dir.getFileName() == null ? "" : dir.getFileName().toString();
        return base.replace('!', '/');
    }

    @Override
    public String devpath() {
        return devpath;
    }

    @Override
    public Optional<String> subsystem() {
        return linkBasename("subsystem");
    }

    @Override
    public Optional<String> driver() {
        return linkBasename("driver");
    }

    @Override
    public Optional<String> attribute(String name) {
        return cache.computeIfAbsent(name, this::read);
    }

    @Override
    public Optional<Device> parent() {
        if (parent == null) {
            parent = Optional.empty();
            Path p = dir.getParent();
            while (p != null && p.startsWith(sysRoot) && !p.equals(sysRoot)) {
                if (Files.isRegularFile(p.resolve("uevent"))) {
                    parent = Optional.of(new SysfsDevice(sysRoot, "/" + sysRoot.relativize(p)));
                    break;
                }
                p = p.getParent();
            }
        }
        return parent;
    }

    @Override
    public Optional<Path> syspath() {
        return Optional.of(dir);
    }

    private Optional<String> linkBasename(String link) {
        Path p = dir.resolve(link);
        try {
            if (Files.isSymbolicLink(p)) {
                Path target = Files.readSymbolicLink(p).getFileName();
                return target == null ? Optional.empty() : Optional.of(target.toString());
            }
        } catch (IOException e) {
            // unreadable link: no value
        }
        return Optional.empty();
    }

    private Optional<String> read(String name) {
        if (name.isEmpty() || name.startsWith("/")) {
            return Optional.empty();
        }
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(sysRoot) || p.equals(sysRoot)) {
            return Optional.empty();
        }
        if (Files.isSymbolicLink(p)) {
            String base = p.getFileName().toString();
            if (base.equals("driver") || base.equals("subsystem") || base.equals("module")) {
                return new SysfsDevice(sysRoot, "/" + sysRoot.relativize(p.getParent())).linkBasename(base);
            }
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = in.readNBytes(MAX_ATTRIBUTE + 1);
            if (buf.length > MAX_ATTRIBUTE) {
                return Optional.empty();
            }
            int len = buf.length;
            while (len > 0 && buf[len - 1] == '\n') {
                len--;
            }
            return Optional.of(new String(buf, 0, len, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // write-only attributes (EACCES) and attributes the driver refuses (EIO, ENODEV...) read as absent
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return devpath;
    }
}
