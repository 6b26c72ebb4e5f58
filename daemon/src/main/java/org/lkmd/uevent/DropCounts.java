package org.lkmd.uevent;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-{@link DropReason} counters. Written by the thread that owns a source, read by anyone
 * (for {@code lkmd status}); thread-safe.
 */
public final class DropCounts {
    private final EnumMap<DropReason, LongAdder> counts = new EnumMap<>(DropReason.class);

    public DropCounts() {
        for (DropReason r : DropReason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    public void increment(DropReason reason) {
        counts.get(reason).increment();
    }

    public long get(DropReason reason) {
        return counts.get(reason).sum();
    }

    public long total() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** The non-zero counters, in enum order. */
    public Map<DropReason, Long> snapshot() {
        EnumMap<DropReason, Long> out = new EnumMap<>(DropReason.class);
        counts.forEach((r, c) -> {
            long n = c.sum();
            if (n != 0) {
                out.put(r, n);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
