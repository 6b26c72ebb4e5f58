package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.base.Root;
import org.lkmd.rules.DeviceFilter;
import org.lkmd.rules.SysfsDevice;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.SysfsTree;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@code lkmd trigger}: asks the kernel to send events again by writing {@code ACTION UUID} to
 * {@code uevent} files, as {@code udevadm trigger --uuid} does. With {@code --settle} it waits
 * only for its own events: before writing, it subscribes to the daemon's event stream filtered
 * on the fresh UUID (which the kernel echoes as {@code SYNTH_UUID}); every successful write makes
 * one event, so it returns once as many events with that UUID have been handled as files were
 * written. Other events, however slow, are not waited for.
 *
 * <p>The device filters are {@code udevadm trigger}'s (systemd 252), matched by {@link DeviceFilter}
 * on the devices {@link SysfsTree} and {@link Coldplug} find as udevadm's enumerator does; only
 * directories with a {@code uevent} file are listed or written (udevadm's writes to the others fail
 * with ENOENT, which it ignores). A parent that names no device is udevadm's error and status 1;
 * a malformed filter, and {@code --tag-match} (tags live in udev's database), status 2.
 */
@Command(name = "trigger", description = "Make the kernel re-send device events (coldplug on demand).")
public final class Trigger extends Verb {
    @Option(names = {"-c", "--action"}, paramLabel = "ACTION", description = "add (default), change, remove, ...")
    String action = "add";

    @Option(names = {"-s", "--subsystem", "--subsystem-match"}, paramLabel = "SUBSYSTEM",
            description = "Only devices of these subsystems.")
    List<String> subsystems = new ArrayList<>();

    @Option(names = {"-S", "--subsystem-nomatch"}, paramLabel = "SUBSYSTEM",
            description = "Leave out devices of these subsystems.")
    List<String> nomatchSubsystems = new ArrayList<>();

    @Option(names = {"-a", "--attr-match"}, paramLabel = "ATTR[=VALUE]",
            description = "Only devices whose attribute ATTR exists (and matches VALUE).")
    List<String> attrs = new ArrayList<>();

    @Option(names = {"-A", "--attr-nomatch"}, paramLabel = "ATTR[=VALUE]",
            description = "Leave out devices whose attribute ATTR exists (and matches VALUE).")
    List<String> nomatchAttrs = new ArrayList<>();

    @Option(names = {"-p", "--property-match"}, paramLabel = "KEY=VALUE",
            description = "Only devices with a matching property (any one of those given).")
    List<String> properties = new ArrayList<>();

    @Option(names = {"-y", "--sysname-match"}, paramLabel = "NAME", description = "Only devices with this name.")
    List<String> sysnames = new ArrayList<>();

    @Option(names = {"-b", "--parent-match"}, paramLabel = "SYSPATH",
            description = "Only this device and the devices below it.")
    List<String> parents = new ArrayList<>();

    @Option(names = {"-g", "--tag-match"}, paramLabel = "TAG", description = "Not supported: tags live in udev's database.")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "devices (default) or subsystems.")
    String type = "devices";

    @Option(names = "--settle", description = "Wait until the daemon has handled the events this trigger caused.")
    boolean settle;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "With --settle: give up after SECONDS (default 120).")
    double timeout = 120;

    @Option(names = {"-n", "--dry-run"}, description = "Print the uevent files, write nothing.")
    boolean dryRun;

    @Option(names = {"-v", "--verbose"}, description = "Print each uevent file written.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        if (!Coldplug.ACTIONS.contains(action)) {
            err().println("lkmd trigger: unknown action '" + action + "'");
            return 2;
        }
        if (!type.equals("devices") && !type.equals("subsystems")) {
            err().println("lkmd trigger: --type must be devices or subsystems, not '" + type + "'");
            return 2;
        }
        if (!tags.isEmpty()) {
            err().println("lkmd trigger: --tag-match is not supported: tags live in udev's database, "
                    + "which lkmd does not keep");
            return 2;
        }
        SysfsTree tree = new SysfsTree(root());
        DeviceFilter.Builder fb = DeviceFilter.builder();
        subsystems.forEach(fb::subsystem);
        nomatchSubsystems.forEach(fb::nomatchSubsystem);
        sysnames.forEach(fb::sysname);
        List<String> problems = new ArrayList<>();
        attrs.forEach(a -> fb.attr(a).ifPresent(problems::add));
        nomatchAttrs.forEach(a -> fb.nomatchAttr(a).ifPresent(problems::add));
        properties.forEach(p -> fb.property(p).ifPresent(problems::add));
        if (!problems.isEmpty()) {
            problems.forEach(p -> err().println("lkmd trigger: " + p));
            return 2;
        }
        for (String id : parents) {
            Optional<Path> dir = tree.findDevice(id);
            if (dir.isEmpty()) {
                // udevadm's wording and status; an argument without a slash would be a unit name there
                err().println("lkmd trigger: Failed to open the device '" + id + "': "
                        + (id.contains("/") ? "No such device" : "Invalid argument"));
                return 1;
            }
            fb.parent(dir.get());
        }
        DeviceFilter filter = fb.build();
        List<Path> targets = candidates(tree, filter).stream()
                .filter(f -> filter.matches(Candidate.of(root(), tree, f.getParent())))
                .toList();
        if (dryRun) {
            targets.forEach(f -> out().println(f.getParent()));
            return 0;
        }
        UUID uuid = UUID.randomUUID();
        ControlClient client = null;
        if (settle) {
            client = subscribe(uuid);
        }
        try {
            int written = 0;
            for (Path f : targets) {
                try {
                    Files.writeString(f, action + " " + uuid, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                    written++;
                    if (verbose) {
                        out().println(f.getParent());
                    }
                } catch (IOException e) {
                    // as udevadm: a device may go away meanwhile; the rest still gets its event
                    err().println("lkmd trigger: Failed to write '" + action + "' to " + f + ": " + e.getMessage() + ", ignoring");
                }
            }
            if (!settle) {
                return 0;
            }
            if (client == null) {
                err().println("lkmd trigger: no daemon answers on " + root().resolve(ControlCodec.SOCKET)
                        + "; settling on the whole queue instead");
                return Main.run(main.context(), "settle", "--root", root().dir().toString(), "--timeout",
                        Double.toString(timeout));
            }
            return awaitOwn(client, written);
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }

    private ControlClient subscribe(UUID uuid) throws IOException {
        Optional<ControlClient> c = ControlClient.connect(root());
        if (c.isEmpty()) {
            return null;
        }
        JsonObject req = ControlCodec.request("monitor");
        req.addProperty("uuid", uuid.toString());
        try {
            ControlClient.check(c.get().call(req, Duration.ofSeconds(10)));
        } catch (IOException e) {
            c.get().close();
            throw e;
        }
        return c.get();
    }

    private int awaitOwn(ControlClient client, int expected) throws IOException {
        long deadline = System.nanoTime() + (long) (timeout * 1e9);
        int seen = 0;
        while (seen < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                err().println("lkmd trigger: timed out: the daemon handled " + seen + " of the " + expected
                        + " events this trigger caused");
                return 1;
            }
            Optional<JsonObject> line = client.read(Duration.ofNanos(left));
            if (line.isPresent() && line.get().has("event")) {
                seen++;
            } else if (line.isPresent()) {
                ControlClient.check(line.get());
            }
        }
        return 0;
    }

    /**
     * The {@code uevent} files the filters are tried on, as udevadm's enumerator finds them: with a
     * parent match (devices only), each parent and the devices below it; otherwise every device,
     * or every module, bus and driver.
     */
    private List<Path> candidates(SysfsTree tree, DeviceFilter filter) {
        Coldplug cp = new Coldplug(root());
        if (type.equals("subsystems")) {
            return cp.subsystemUeventFiles();
        }
        if (filter.parents().isEmpty()) {
            return cp.deviceUeventFiles();
        }
        TreeMap<String, Path> byDevpath = new TreeMap<>();
        for (Path parent : filter.parents()) {
            for (Path f : tree.ueventFilesUnder(parent)) {
                byDevpath.putIfAbsent(tree.devpath(f.getParent()), f);
            }
        }
        return List.copyOf(byDevpath.values());
    }

    /** A device as the filters see it: attributes read as udev rules' ATTR reads them. */
    private record Candidate(SysfsTree tree, Path dir, SysfsDevice device) implements DeviceFilter.Candidate {
        static Candidate of(Root root, SysfsTree tree, Path dir) {
            Path real;
            try {
                real = dir.toRealPath();
            } catch (IOException e) {
                real = dir;
            }
            return new Candidate(tree, real, SysfsDevice.of(root, tree.devpath(real)));
        }

        @Override
        public String sysname() {
            return dir.getFileName().toString();
        }

        @Override
        public Optional<String> subsystem() {
            return tree.subsystem(dir);
        }

        @Override
        public Optional<String> attribute(String name) {
            return device.attribute(name);
        }

        @Override
        public Map<String, String> properties() {
            return tree.properties(dir);
        }
    }
}
