package org.lkmd.uevent;

import org.lkmd.base.Root;
import org.lkmd.uevent.Uevent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The event a device would send now: its {@code uevent} file's properties under the root, with
 * ACTION and DEVPATH, for {@code lkmd test} and {@code lkmd explain}.
 */
public final class DeviceUevent {
    /** A uevent file is at most a page. */
    static final long MAX_SIZE = 4096;

    private DeviceUevent() {
    }

    /** {@code /sys/devices/x}, {@code /devices/x} and {@code devices/x} all name {@code /devices/x}. */
    public static String devpath(String arg) {
        String p = arg.strip();
        if (p.startsWith("/sys/")) {
            p = p.substring(4);
        }
        if (!p.startsWith("/")) {
            p = "/" + p;
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    /** True when the argument names a device path rather than a modalias. */
    public static boolean isDevpath(String arg) {
        return arg.startsWith("/") || arg.startsWith("devices/");
    }

    public static Uevent read(Root root, String devpathArg, String action) throws IOException {
        String devpath = devpath(devpathArg);
        Path dir = root.resolve("/sys" + devpath);
        Path file = dir.resolve("uevent");
        if (!Files.isRegularFile(file)) {
            throw new IOException("no device at " + devpath + " (" + file + " missing)");
        }
        if (!dir.toRealPath().normalize().toString().contains("/devices/")
                || devpath.contains("/../") || devpath.endsWith("/..")) {
            throw new IOException("not a device path: " + devpath);
        }
        Map<String, String> props = new LinkedHashMap<>();
        props.put("ACTION", action);
        props.put("DEVPATH", devpath);
        byte[] data = Files.readAllBytes(file);
        if (data.length > MAX_SIZE) {
            throw new IOException(file + " larger than " + MAX_SIZE + " bytes");
        }
        for (String l : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                props.putIfAbsent(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        Path subsystem = dir.resolve("subsystem");
        if (!props.containsKey("SUBSYSTEM") && Files.isSymbolicLink(subsystem)) {
            props.put("SUBSYSTEM", Files.readSymbolicLink(subsystem).getFileName().toString());
        }
        return new Uevent(action, devpath, -1, props);
    }
}
