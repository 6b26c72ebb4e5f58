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
     */
    java.util.concurrent.CompletableFuture<JsonObject> load(String name, boolean commandLine);

    /**
     * Live event records as the {@code monitor} stream sends them (the {@code event} object: its
     * {@code subsystem} and {@code properties} are what a monitor filters on); called on the
     * daemon's threads. The handle ends the subscription.
     */
    AutoCloseable subscribe(Consumer<JsonObject> listener);
}
