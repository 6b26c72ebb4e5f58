package org.lkmd.control;

import com.google.gson.JsonObject;

import java.util.List;
import java.util.function.Consumer;

/**
 * What the control socket serves: the request dispatch the transport calls, in the protocol's JSON.
 * The daemon implements it; this package knows nothing else of the daemon. Methods marked blocking
 * are called off the socket's event loop.
 */
public interface ControlService {

    /** The {@code status} fields. */
    JsonObject status();

    /** Rebuilds and swaps the snapshot (blocking): {@code reloaded}, {@code generation}, {@code problems}. */
    JsonObject reload();

    /** True when no event is queued or running. */
    boolean idle();

    /** Queued and running events right now. */
    int[] depth();

    /** The {@code explain} report for a devpath or modalias (blocking). */
    List<String> explain(String target);

    /**
     * Loads a module as {@code modprobe -q NAME} would (the kernel's module helper forwards here):
     * {@code rc} (modprobe's exit code) and {@code messages} (what modprobe would print). Runs on
     * its own threads, so many helpers may wait at once and a load that makes the kernel ask for
     * another module cannot starve it.
     *
     * @param commandLine a person ran the helper (the event log's origin then says so), not the kernel
     * @param sent        completes once the answer is written to the client: what the service does
     *                    after answering (its log lines, the event record) waits for it, for a moment
     *                    at most, so that it does not hold up the answer on a busy machine
     */
    java.util.concurrent.CompletableFuture<JsonObject> load(String name, boolean commandLine,
                                                             java.util.concurrent.CompletionStage<?> sent);

    /**
     * Removes a module as a person's {@code modprobe -r NAME} would (the C client forwards it):
     * {@code rc} and {@code messages} as for {@link #load}; an error answer (the client's own
     * tool does it then) where the daemon would not do what modprobe does. Blocking.
     */
    default JsonObject remove(String name) {
        throw new UnsupportedOperationException("this daemon does not remove modules");
    }

    /**
     * {@code lkmd lsmod} for the C client: {@code out}, the table kmod's lsmod prints for the
     * kernel's modules now; an error when this daemon's kernel is not the system's (it simulates).
     * Blocking (reads the kernel's state).
     */
    default JsonObject lsmod() {
        throw new UnsupportedOperationException("this daemon does not list modules");
    }

    /**
     * Live event records as the {@code monitor} stream sends them (the {@code event} object: its
     * {@code subsystem} and {@code properties} are what a monitor filters on); called on the
     * daemon's threads. The handle ends the subscription.
     */
    AutoCloseable subscribe(Consumer<JsonObject> listener);

    /**
     * {@code lkmd control --log-level/--children-max}: checks every value given, then applies them
     * all, or none: the answer holds {@code log_level}, {@code children_max} and who set each.
     *
     * @param logLevel    a level as {@link org.lkmd.config.LogLevel} reads it, or null
     * @param childrenMax events handled at once, or null
     * @throws IllegalArgumentException with the reason, when a value is refused (nothing changed)
     */
    default JsonObject configure(String logLevel, Integer childrenMax) {
        throw new UnsupportedOperationException("this daemon takes no settings");
    }

    /**
     * {@code ping}'s fields beyond the pid: answered only once the event queue answers too (its
     * lock taken), so a wedged queue makes the ping time out.
     */
    default JsonObject ping() {
        return new JsonObject();
    }

    /** Stops the daemon as SIGTERM does ({@code lkmd control --exit}); called once the answer is sent. */
    default void exit() {
        throw new UnsupportedOperationException("this daemon does not exit on request");
    }

    /**
     * The kept event records, oldest first, as the {@code monitor} stream sends them (blocking).
     *
     * @param since  only records received at or after this instant; null for all
     * @param module only records with an outcome for this module (dashes and underscores alike); null for all
     * @param failed only records with a failed load or program
     */
    default com.google.gson.JsonArray history(java.time.Instant since, String module, boolean failed) {
        return new com.google.gson.JsonArray();
    }
}
