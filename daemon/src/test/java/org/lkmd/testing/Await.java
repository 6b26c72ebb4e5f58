package org.lkmd.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The one way tests wait for something another thread or process does: poll a condition until
 * it holds or a generous bound passes. The bound is a safety net, not a figure: callers assert
 * on the condition (or on what follows it), never on how long it took.
 */
public final class Await {
    private static final long POLL_MS = 10;

    private Await() {
    }

    /** Polls {@code done} until it is true or {@code max} has passed; returns its last value. */
    public static boolean waitFor(BooleanSupplier done, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            Thread.sleep(POLL_MS);
        }
        return done.getAsBoolean();
    }
}
