package org.lkmd.control;

import com.google.gson.JsonObject;
import org.lkmd.daemon.EventRecord;

import java.util.List;
import java.util.function.Consumer;

/**
 * What the control socket serves, independent of how the daemon is wired ({@link DaemonControl}
 * adapts the daemon). Methods marked blocking are called off the socket's event loop.
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

    /** Live event records; the handle ends the subscription. */
    AutoCloseable subscribe(Consumer<EventRecord> listener);
}
