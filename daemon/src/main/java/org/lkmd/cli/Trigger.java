package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.uevent.Coldplug;
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
import java.util.Optional;
import java.util.UUID;

/**
 * {@code lkmd trigger}: asks the kernel to send events again by writing {@code ACTION UUID} to
 * {@code uevent} files, as {@code udevadm trigger --uuid} does. With {@code --settle} it waits
 * only for its own events: before writing, it subscribes to the daemon's event stream filtered
 * on the fresh UUID (which the kernel echoes as {@code SYNTH_UUID}); every successful write makes
 * one event, so it returns once as many events with that UUID have been handled as files were
 * written. Other events, however slow, are not waited for.
 */
@Command(name = "trigger", description = "Make the kernel re-send device events (coldplug on demand).")
public final class Trigger extends Verb {
    @Option(names = {"-c", "--action"}, paramLabel = "ACTION", description = "add (default), change, remove, ...")
    String action = "add";

    @Option(names = {"-s", "--subsystem", "--subsystem-match"}, paramLabel = "SUBSYSTEM",
            description = "Only devices of these subsystems.")
    List<String> subsystems = new ArrayList<>();

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
        Coldplug cp = new Coldplug(root());
        List<Path> targets;
        switch (type) {
            case "devices" -> targets = cp.deviceUeventFiles();
            case "subsystems" -> targets = cp.subsystemUeventFiles();
            default -> {
                err().println("lkmd trigger: --type must be devices or subsystems, not '" + type + "'");
                return 2;
            }
        }
        if (!subsystems.isEmpty()) {
            targets = targets.stream().filter(f -> subsystems.contains(subsystemOf(f.getParent()))).toList();
        }
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

    private static String subsystemOf(Path dir) {
        try {
            Path link = dir.resolve("subsystem");
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : "";
        } catch (IOException e) {
            return "";
        }
    }
}
