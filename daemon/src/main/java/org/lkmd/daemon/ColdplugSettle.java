package org.lkmd.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Decides when the events a coldplug trigger asked for have all been handled. The kernel numbers
 * every uevent it broadcasts ({@code SEQNUM}) and publishes the last number it gave in
 * {@code /sys/kernel/uevent_seqnum}. Settled means: the reader has taken every event up to the
 * number the kernel shows, the queue is idle, and the kernel's number has not moved meanwhile
 * (a load that creates devices, e.g. a sound card's codec, starts another round).
 *
 * <p>An idle queue alone says nothing about events still in the socket's receive buffer: on a
 * slow or busy CPU the reader can lag the kernel by seconds, and "idle for a moment" then
 * declares coldplug done before one of its events was handled.
 *
 * <p>Events carrying a number may never reach us (a network device in another network namespace
 * gets its uevents sent only there, yet uses the global counter): when the reader has taken
 * nothing new for {@code stall} while the queue is idle, those numbers are taken as not ours.
 * Without a readable counter (a fake root) it falls back to waiting for {@code stall} of quiet.
 *
 * <p>A scan coldplug makes no event: the counter then still shows the events of the boot before the
 * daemon listened, which never reach the reader. Numbers up to {@code announcedBefore} (the counter
 * when the scan began, the socket already open) are therefore not waited for; without this every
 * scan coldplug waited the whole {@code stall} (5 s) before {@code READY=1}.
 */
final class ColdplugSettle {
    /** The queue as seen from here. */
    interface Queue {
        boolean awaitIdle(Duration timeout) throws InterruptedException;

        boolean idle();
    }

    private final LongSupplier kernelSeqnum;
    private final LongSupplier lastReceived;
    private final Queue queue;
    private final Duration stall;
    private final Duration poll;
    private final long announcedBefore;

    /**
     * @param kernelSeqnum    the kernel's last uevent number, or a negative value when unknown
     * @param lastReceived    the highest SEQNUM the reader has put into the queue (negative for none)
     * @param announcedBefore the kernel's number when this round began with the socket open: numbers
     *                        up to it are not waited for (negative: wait for every number)
     */
    ColdplugSettle(LongSupplier kernelSeqnum, LongSupplier lastReceived, Queue queue, Duration stall, Duration poll,
                   long announcedBefore) {
        this.announcedBefore = announcedBefore;
        this.kernelSeqnum = kernelSeqnum;
        this.lastReceived = lastReceived;
        this.queue = queue;
        this.stall = stall;
        this.poll = poll;
    }

    /** {@code /sys/kernel/uevent_seqnum} under {@code sys}, or -1 when missing or unreadable. */
    static LongSupplier seqnumFile(Path file) {
        return () -> {
            try {
                return Long.parseLong(new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip());
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        };
    }

    /** What {@link #await} saw. */
    enum Result { SETTLED, STALLED, TIMED_OUT }

    /** Waits until settled (or stalled, see above) or {@code max} has passed. */
    Result await(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        long seen = lastReceived.getAsLong();
        long progressAt = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long kernel = kernelSeqnum.getAsLong();
            long received = lastReceived.getAsLong();
            if (received != seen) {
                seen = received;
                progressAt = System.nanoTime();
            }
            boolean caughtUp = kernel >= 0 && Math.max(received, announcedBefore) >= kernel;
            boolean stalled = System.nanoTime() - progressAt >= stall.toNanos();
            if (caughtUp || stalled) {
                if (!queue.awaitIdle(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    return Result.TIMED_OUT;
                }
                // nothing new from the kernel or the reader while the queue drained: done
                if (kernelSeqnum.getAsLong() == kernel && lastReceived.getAsLong() == received && queue.idle()) {
                    if (caughtUp) {
                        return Result.SETTLED;
                    }
                    if (System.nanoTime() - progressAt >= stall.toNanos()) {
                        return Result.STALLED;
                    }
                }
            }
            Thread.sleep(poll.toMillis());
        }
        return Result.TIMED_OUT;
    }
}
