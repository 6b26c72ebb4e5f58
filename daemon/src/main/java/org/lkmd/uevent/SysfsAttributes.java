package org.lkmd.uevent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device's attributes as systemd 252's sd-device enumerates and reads them, for
 * {@code lkmd info --attribute-walk}.
 *
 * <p>Listing: every regular file and symbolic link in the device's directory whose owner may read
 * or write it, and, recursively, those of each subdirectory that has no {@code uevent} file of its
 * own (a subdirectory with one is a child device), named by their path relative to the device
 * ({@code power/control}). Links are not followed.
 *
 * <p>Reading: a link reads as its target's basename for {@code driver}, {@code subsystem} and
 * {@code module}, and is otherwise no value; a file without the owner's read bit is
 * {@link Value#NOT_READABLE}, as is a read the kernel refuses with EACCES or EPERM; other read
 * errors are no value. Trailing newlines are dropped; the value ends at its first NUL byte.
 * Bounds: at most {@link #MAX_VALUE} bytes are read of one file, at most {@link #MAX_DEPTH}
 * directories deep and {@link #MAX_NAMES} names per device.
 */
public final class SysfsAttributes {
    private static final Logger log = LoggerFactory.getLogger(SysfsAttributes.class);

    /** sd-device reads at most this much of a virtual file. */
    public static final int MAX_VALUE = 4 * 1024 * 1024;
    static final int MAX_DEPTH = 32;
    static final int MAX_NAMES = 100_000;

    private static final Set<String> LINK_VALUES = Set.of("driver", "subsystem", "module");

    /** A read attribute: a value, or the marker that it exists but may not be read. */
    public record Value(String text, boolean readable) {
        public static final Value NOT_READABLE = new Value("", false);
    }

    private SysfsAttributes() {
    }

    /** The attribute names of the device at {@code dir}, sorted by byte value. */
    public static Set<String> names(Path dir) {
        TreeSet<String> out = new TreeSet<>();
        collect(dir, "", out, 0);
        return out;
    }

    private static void collect(Path dir, String prefix, TreeSet<String> out, int depth) {
        if (!prefix.isEmpty() && Files.exists(dir.resolve("uevent"))) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (out.size() >= MAX_NAMES) {
                    return;
                }
                String name = prefix + p.getFileName();
                PosixFileAttributes a;
                try {
                    a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    continue;
                }
                if (a.isDirectory()) {
                    if (depth < MAX_DEPTH) {
                        collect(p, name + "/", out, depth + 1);
                    }
                } else if (a.isSymbolicLink() || a.isRegularFile()) {
                    int mode = a.permissions().stream().mapToInt(SysfsAttributes::bit).sum();
                    if ((mode & 0600) != 0) {
                        out.add(name);
                    }
                }
            }
        } catch (IOException e) {
            log.debug("Failed to list {}: {}, ignoring", dir, e.toString());
        }
    }

    private static int bit(java.nio.file.attribute.PosixFilePermission p) {
        return switch (p) {
            case OWNER_READ -> 0400;
            case OWNER_WRITE -> 0200;
            default -> 0;
        };
    }

    /** The value of attribute {@code name} of the device at {@code dir}; empty when it has none. */
    public static Optional<Value> read(Path dir, String name) {
        Path p = dir.resolve(name);
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (a.isSymbolicLink()) {
            if (!LINK_VALUES.contains(p.getFileName().toString())) {
                return Optional.empty();
            }
            try {
                Path target = Files.readSymbolicLink(p).getFileName();
                return target == null ? Optional.empty() : Optional.of(new Value(target.toString(), true));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (a.isDirectory()) {
            return Optional.empty();
        }
        if (!a.permissions().contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ)) {
            return Optional.of(Value.NOT_READABLE);
        }
        byte[] buf;
        try (InputStream in = Files.newInputStream(p)) {
            buf = in.readNBytes(MAX_VALUE);
        } catch (AccessDeniedException e) {
            return Optional.of(Value.NOT_READABLE);
        } catch (IOException e) {
            // the driver's show() refused: EPERM reads as not readable, anything else as no value
            String m = String.valueOf(e.getMessage());
            if (m.contains("Operation not permitted") || m.contains("Permission denied")) {
                return Optional.of(Value.NOT_READABLE);
            }
            return Optional.empty();
        }
        int len = buf.length;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            len--;
        }
        for (int i = 0; i < len; i++) {
            if (buf[i] == 0) {
                len = i;
                break;
            }
        }
        return Optional.of(new Value(new String(buf, 0, len, StandardCharsets.ISO_8859_1), true));
    }

    /** Every attribute of the device at {@code dir} with a value or not readable, sorted by name. */
    public static TreeMap<String, Value> readAll(Path dir) {
        TreeMap<String, Value> out = new TreeMap<>();
        for (String n : names(dir)) {
            read(dir, n).ifPresent(v -> out.put(n, v));
        }
        return out;
    }
}
