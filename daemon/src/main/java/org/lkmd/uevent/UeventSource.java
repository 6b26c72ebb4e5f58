package org.lkmd.uevent;

import java.io.IOException;

/**
 * A stream of uevents: the kernel's netlink socket ({@link NetlinkUeventSource}) or a script
 * ({@link ScriptedUeventSource}, for tests and {@code --simulate}).
 *
 * <p>{@link #run} is called once, by the thread that will own the source; it blocks, reading and
 * handing events to the sink, until {@link #stop()} is called from any thread or the source ends.
 * Then the owner calls {@link #close()}.
 */
public interface UeventSource extends AutoCloseable {

    /**
     * Reads until stopped or exhausted. Returns normally on {@link #stop()}, at the end of a script,
     * or when the owner thread is interrupted.
     *
     * @throws IOException when reading fails for good (the socket is unusable)
     */
    void run(UeventSink sink) throws IOException;

    /** Asks {@link #run} to return soon. Safe from any thread, idempotent. */
    void stop();

    /** Datagrams read but not delivered, per reason. */
    DropCounts drops();

    /** How many overflows ({@code ENOBUFS}) were signalled so far. */
    long overflows();

    /** How many events were handed to the sink so far. */
    long delivered();

    /** Datagrams taken from the source so far, delivered or dropped: the reader's progress. */
    default long taken() {
        return delivered();
    }

    /**
     * Whether something is waiting to be read right now (the socket has data the reader has not
     * taken), asked from another thread (the {@code daemon.Watchdog}); empty when the source cannot tell.
     */
    default java.util.Optional<Boolean> waiting() {
        return java.util.Optional.empty();
    }

    /** Releases the source. Call after {@link #run} returned (or if it never ran). */
    @Override
    void close();
}
