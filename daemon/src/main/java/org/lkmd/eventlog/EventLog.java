package org.lkmd.eventlog;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last N event records (a ring buffer) plus running totals, and live subscribers (for
 * {@code monitor}). Thread-safe: workers add, readers take copies.
 */
public final class EventLog {
    private final int capacity;
    private final ArrayDeque<EventRecord> ring;
    private final Map<EventRecord.Result, Long> totals = new EnumMap<>(EventRecord.Result.class);
    private final Map<String, Long> failuresByErrno = new java.util.TreeMap<>();
    private final List<Consumer<EventRecord>> subscribers = new CopyOnWriteArrayList<>();
    private long events;

    public EventLog(int capacity) {
        this.capacity = capacity;
        this.ring = new ArrayDeque<>(capacity);
    }

    public void add(EventRecord r) {
        synchronized (this) {
            if (ring.size() == capacity) {
                ring.removeFirst();
            }
            ring.addLast(r);
            events++;
            for (EventRecord.Outcome o : r.outcomes()) {
                totals.merge(o.result(), 1L, Long::sum);
                if (o.errno() != null) {
                    failuresByErrno.merge(o.errno().name(), 1L, Long::sum);
                }
            }
        }
        for (Consumer<EventRecord> s : subscribers) {
            s.accept(r);
        }
    }

    /** The records kept, oldest first. */
    public synchronized List<EventRecord> records() {
        return new ArrayList<>(ring);
    }

    /** Records for one devpath, oldest first. */
    public synchronized List<EventRecord> forDevpath(String devpath) {
        return ring.stream().filter(r -> r.devpath().equals(devpath)).toList();
    }

    public synchronized long events() {
        return events;
    }

    public synchronized Map<EventRecord.Result, Long> totals() {
        return new EnumMap<>(totals.isEmpty() ? Map.of(EventRecord.Result.LOADED, 0L) : totals);
    }

    public synchronized Map<String, Long> failuresByErrno() {
        return new java.util.TreeMap<>(failuresByErrno);
    }

    /** Live records as they are added; returns a handle that stops the subscription. */
    public AutoCloseable subscribe(Consumer<EventRecord> s) {
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }
}
