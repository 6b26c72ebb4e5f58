package org.lkmd.uevent;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Where a {@link UeventSource} hands what it read. Both methods are called on the source's owner
 * thread, one at a time.
 */
public interface UeventSink {

    /**
     * An accepted event. May block (back-pressure from a full queue): the source then stops reading
     * and the kernel's socket buffer absorbs the burst, up to an {@link #overflow()}.
     *
     * @throws InterruptedException when the owner thread is interrupted while blocked; the source
     *         then stops
     */
    void accept(Uevent event) throws InterruptedException;

    /**
     * The kernel dropped events for this socket ({@code ENOBUFS}): some uevents are lost for good
     * and the caller should resynchronise, e.g. by rescanning sysfs ({@link Coldplug#scan()}).
     * Reading continues after this call.
     */
    void overflow();

    /** A sink from two callbacks. */
    static UeventSink of(Consumer<Uevent> events, Runnable onOverflow) {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(onOverflow, "onOverflow");
        return new UeventSink() {
            @Override
            public void accept(Uevent event) {
                events.accept(event);
            }

            @Override
            public void overflow() {
                onOverflow.run();
            }
        };
    }
}
