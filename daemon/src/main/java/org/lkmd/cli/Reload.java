package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lkmd reload}: the daemon rebuilds its snapshot and swaps it in, or keeps the old one.
 * Prints the problems (file:line); exit 0 when swapped, 1 when the old snapshot stays or no
 * daemon answers.
 */
@Command(name = "reload", description = "Make the daemon re-read rules, modprobe.d, lkmd.toml and the module index.")
public final class Reload extends Verb {
    @Override
    public Integer call() {
        try {
            Optional<ControlClient> c = connectDaemon("reload");
            if (c.isEmpty()) {
                return 1;
            }
            JsonObject a;
            try (ControlClient client = c.get()) {
                a = ControlClient.check(client.call(ControlCodec.request("reload"), Duration.ofSeconds(120)));
            }
            a.getAsJsonArray("problems").forEach(p -> err().println(p.getAsString()));
            if (a.get("reloaded").getAsBoolean()) {
                out().println("Reloaded: generation " + a.get("generation").getAsLong());
                return 0;
            }
            err().println("lkmd reload: configuration not reloaded, the daemon keeps generation "
                    + a.get("generation").getAsLong());
            return 1;
        } catch (IOException e) {
            err().println("lkmd reload: " + e.getMessage());
            return 1;
        }
    }
}
