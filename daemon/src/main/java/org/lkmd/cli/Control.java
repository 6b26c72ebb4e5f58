package org.lkmd.cli;

import com.google.gson.JsonObject;
import org.lkmd.config.LogLevel;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lkmd control}: changes the running daemon as {@code udevadm control} changes udevd.
 * {@code --log-level} and {@code --children-max} are applied together or not at all, then
 * {@code --reload}, then {@code --ping}, and {@code --exit} last. Exit 1 when no option is given, a
 * value is bad (checked before anything is sent), no daemon answers within the timeout, or the
 * daemon refuses; 0 otherwise.
 */
@Command(name = "control", description = "Change the running daemon: log level, children max, reload, ping, exit.")
public final class Control extends Verb {
    @Option(names = {"-e", "--exit"}, description = "Make the daemon finish its queued events and exit.")
    boolean exit;

    @Option(names = {"-l", "--log-level"}, paramLabel = "LEVEL", description = "Set the daemon's log level until "
            + "it exits: " + LogLevel.ACCEPTED + ".")
    String logLevel;

    @Option(names = {"-m", "--children-max"}, paramLabel = "N", description = "Set how many events are handled "
            + "at once (1 or more) until the daemon exits.")
    String childrenMax;

    @Option(names = {"-R", "--reload"}, description = "Make the daemon re-read its configuration (as lkmd reload).")
    boolean reload;

    @Option(names = "--ping", description = "Wait until the daemon answers (its event queue included).")
    boolean ping;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", description = "How long to wait for each answer "
            + "(default 60).")
    String timeout = "60";

    @Override
    public Integer call() {
        if (!exit && logLevel == null && childrenMax == null && !reload && !ping) {
            err().println("lkmd control: expects one or more options (see lkmd control --help)");
            return 1;
        }
        Optional<Duration> wait = seconds(timeout);
        if (wait.isEmpty()) {
            err().println("lkmd control: invalid timeout '" + timeout + "' (expected seconds, more than 0)");
            return 1;
        }
        if (logLevel != null && LogLevel.parse(logLevel).isEmpty()) {
            err().println("lkmd control: invalid log level '" + logLevel + "' (expected " + LogLevel.ACCEPTED + ")");
            return 1;
        }
        Integer max = null;
        if (childrenMax != null) {
            try {
                max = Integer.parseInt(childrenMax.trim());
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1) {
                err().println("lkmd control: invalid children max '" + childrenMax + "' (expected a number, 1 or more)");
                return 1;
            }
        }
        try {
            Optional<ControlClient> c = connectDaemon("control");
            if (c.isEmpty()) {
                return 1;
            }
            try (ControlClient client = c.get()) {
                if (logLevel != null || max != null) {
                    JsonObject req = ControlCodec.request("set");
                    if (logLevel != null) {
                        req.addProperty("log_level", logLevel);
                    }
                    if (max != null) {
                        req.addProperty("children_max", max);
                    }
                    ControlClient.check(client.call(req, wait.get()));
                }
                if (reload) {
                    JsonObject a = ControlClient.check(client.call(ControlCodec.request("reload"), wait.get()));
                    a.getAsJsonArray("problems").forEach(p -> err().println(p.getAsString()));
                    if (!a.get("reloaded").getAsBoolean()) {
                        err().println("lkmd control: configuration not reloaded, the daemon keeps generation "
                                + a.get("generation").getAsLong());
                        return 1;
                    }
                }
                if (ping) {
                    ControlClient.check(client.call(ControlCodec.request("ping"), wait.get()));
                }
                if (exit) {
                    ControlClient.check(client.call(ControlCodec.request("exit"), wait.get()));
                }
            }
            return 0;
        } catch (IOException e) {
            err().println("lkmd control: " + e.getMessage());
            return 1;
        }
    }

    /** A positive number of seconds, fractions allowed, as udevadm's {@code --timeout}. */
    static Optional<Duration> seconds(String text) {
        try {
            double s = Double.parseDouble(text.trim());
            if (!(s > 0) || s > 86_400 * 365) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos((long) (s * 1e9)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
