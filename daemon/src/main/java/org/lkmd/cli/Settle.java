package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lkmd settle}: waits until the daemon's event queue is empty. Asks the daemon over the
 * control socket; when no daemon answers there, falls back to waiting for {@code /run/lkmd/queue}
 * to go, as {@code udevadm settle} waits for {@code /run/udev/queue}. Exit 0 when settled, 1 on
 * timeout.
 */
@Command(name = "settle", description = "Wait until the daemon has handled every queued event.")
public final class Settle extends Verb {
    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", description = "Give up after SECONDS (default 120).")
    double timeout = 120;

    @Option(names = {"-E", "--exit-if-exists"}, paramLabel = "FILE", description = "Stop waiting when FILE exists.")
    Path exitIfExists;

    @Override
    public Integer call() throws InterruptedException {
        if (exitIfExists != null && Files.exists(exitIfExists)) {
            return 0;
        }
        if (exitIfExists == null) {
            Optional<Integer> viaSocket = overSocket();
            if (viaSocket.isPresent()) {
                return viaSocket.get();
            }
        }
        return byMarkerFile();
    }

    /** Empty when no daemon answers on the control socket. */
    private Optional<Integer> overSocket() {
        long ms = (long) (timeout * 1000);
        try {
            Optional<ControlClient> c = ControlClient.connect(root());
            if (c.isEmpty()) {
                return Optional.empty();
            }
            try (ControlClient client = c.get()) {
                JsonObject req = ControlCodec.request("settle");
                req.addProperty("timeout_ms", ms);
                JsonObject a = ControlClient.check(client.call(req, Duration.ofMillis(ms + 5000)));
                if (a.get("settled").getAsBoolean()) {
                    return Optional.of(0);
                }
                err().println("lkmd settle: timed out waiting for the event queue to empty ("
                        + a.get("queued").getAsInt() + " queued, " + a.get("running").getAsInt() + " running)");
                return Optional.of(1);
            }
        } catch (IOException e) {
            err().println("lkmd settle: " + e.getMessage() + "; waiting for " + root().resolve("/run/lkmd/queue") + " instead");
            return Optional.empty();
        }
    }

    private int byMarkerFile() throws InterruptedException {
        Path queue = root().resolve("/run/lkmd/queue");
        long deadline = System.nanoTime() + (long) (timeout * 1e9);
        while (true) {
            if (exitIfExists != null && Files.exists(exitIfExists)) {
                return 0;
            }
            if (!Files.exists(queue)) {
                return 0;
            }
            if (System.nanoTime() >= deadline) {
                err().println("lkmd settle: timed out waiting for the event queue to empty");
                return 1;
            }
            Thread.sleep(20);
        }
    }
}
