package org.lkmd.uevent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.lkmd.base.LogFields;
import org.slf4j.MDC;

/**
 * The uevent queue: SEQNUM order, per-device serialisation, a bounded worker pool.
 *
 * <h2>Ordering</h2>
 * Events are kept in one list sorted by SEQNUM. An event that arrives late is inserted at its
 * place; one whose SEQNUM is already queued or running is rejected and counted. Events without a
 * SEQNUM (synthesised by {@link Coldplug#scan()}) go to the tail in arrival order. An event may
 * start only when no <em>earlier</em> event in the list (queued or running) is on the same devpath,
 * an ancestor or a descendant of it; the event's {@code DEVPATH_OLD} (a rename) counts as one of its
 * paths. Besides, two events whose paths are related never run at the same time, whatever their
 * order (this matters only for a late arrival whose later relatives already started).
 * Independent devices run in parallel, up to the worker count. Among the events that may start,
 * those carrying a {@code MODALIAS} go first (a coldplug queues a few hundred subsystem and
 * device events without one ahead of the devices that need a driver); the rest follow in order.
 *
 * <h2>Threads</h2>
 * Producers (the netlink thread, coldplug) call {@link #put}; {@code workers} pool threads
 * ({@code lkmd-worker-N}, daemon threads) run the handler; one timer thread ({@code lkmd-queue-timer})
 * marks slow events. All state is guarded by one lock, never held while the handler runs. The
 * handler is called with the MDC fields {@code SEQNUM}, {@code DEVPATH} and {@code ORIGIN}
 * ({@code base.LogFields}) set, so every line it logs carries them.
 *
 * <h2>Back-pressure</h2>
 * At most {@code capacity} events are queued or running. {@link #put} then blocks the producer
 * (counted in {@link Stats#producerWaits()}); {@link #offer} waits at most a given time and answers
 * {@link Admission#FULL}. A blocked netlink thread stops reading, the kernel's socket buffer absorbs
 * the burst and, if that fills too, the listener reports an overflow ({@link UeventSink#overflow()}).
 * Nothing is dropped here.
 *
 * <h2>Timeouts</h2>
 * An event still running after {@code slowAfter} is marked slow, counted, and logged at WARN; its
 * worker is not interrupted and the queue keeps waiting for it (its dependants stay blocked). When
 * it ends, its duration is logged at INFO.
 */
public final class EventQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventQueue.class);

    /** udev's cap on children. */
    public static final int MAX_WORKERS = 2048;

    /** What {@link #put}/{@link #offer} did with an event. */
    public enum Admission {
        /** Queued (it may already be running). */
        QUEUED,
        /** Rejected: an event with the same SEQNUM is queued or running. */
        DUPLICATE,
        /** {@link #offer} timed out on a full queue. */
        FULL,
        /** The queue is shut down. */
        CLOSED
    }

    /**
     * Counters for {@code lkmd status}. {@code queued} and {@code running} are current; the others
     * are totals since start.
     */
    public record Stats(int queued, int running, long done, long slow, long rejected, long failed,
                        long reordered, long producerWaits) {
    }

    /** An event being handled, for {@code lkmd status}. */
    public record Running(Uevent event, Duration elapsed, boolean slow) {
    }

    private enum State { QUEUED, RUNNING }

    private static final class Entry {
        final Uevent event;
        /** Each path's {@link DevpathSet#chain}, cut once: the scheduler looks at them on every change. */
        final List<String[]> chains;
        /** Carries a MODALIAS: started before startable events that do not. */
        final boolean driverEvent;
        State state = State.QUEUED;
        long startedNanos;
        boolean slow;
        ScheduledFuture<?> timer;

        Entry(Uevent event) {
            this.event = event;
            String old = event.get("DEVPATH_OLD");
            List<String> paths = old == null || old.equals(event.devpath()) ? List.of(event.devpath())
                    : List.of(event.devpath(), old);
            List<String[]> cs = new ArrayList<>(paths.size());
            for (String p : paths) {
                cs.add(DevpathSet.chain(p));
            }
            this.chains = cs;
            this.driverEvent = event.modalias() != null;
        }
    }

    /** Events that may run at once; changed live by {@link #setWorkers}. Lock held to change. */
    private volatile int workers;
    private final int capacity;
    private final Duration slowAfter;
    private final Consumer<Uevent> handler;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition changed = lock.newCondition();
    private final List<Entry> list = new ArrayList<>();
    private final Set<Long> seqnums = new HashSet<>();
    private final DevpathSet runningPaths = new DevpathSet();
    /** The scheduler's set of paths earlier in the list, emptied and refilled on every pass. Lock held. */
    private final DevpathSet scratch = new DevpathSet();
    /** The scheduler's startable events without a MODALIAS, started after those with one. Lock held. */
    private final List<Entry> deferred = new ArrayList<>();
    /** Queued (not yet started) events that carry a MODALIAS: the scheduler's scan ends after the last. */
    private int queuedDrivers;
    private int running;
    private boolean closed;
    private long done;
    private long slow;
    private long rejected;
    private long failed;
    private long reordered;
    private long producerWaits;

    /**
     * @param workers how many events may run at once (1 = fully serial), at most {@value #MAX_WORKERS}
     * @param capacity how many events may be queued or running before producers wait
     * @param slowAfter when a running event is reported slow (it keeps running)
     * @param handler what to do with an event; called on a worker thread; an exception it throws
     *        is logged and counted as failed, and the event counts as done
     */
    public EventQueue(int workers, int capacity, Duration slowAfter, Consumer<Uevent> handler) {
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("workers must be 1.." + MAX_WORKERS + ": " + workers);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (slowAfter.isNegative() || slowAfter.isZero()) {
            throw new IllegalArgumentException("slowAfter must be positive: " + slowAfter);
        }
        this.workers = workers;
        this.capacity = capacity;
        this.slowAfter = slowAfter;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                named("lkmd-worker-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(named("lkmd-queue-timer"));
    }

    /** How many events may run at once now. */
    public int workers() {
        return workers;
    }

    /**
     * Changes how many events may run at once ({@code lkmd control --children-max}). Nothing queued
     * or running is touched: more workers start waiting events at once; fewer let the running ones
     * finish and start no new one until fewer than {@code n} run. The pool's threads follow (an idle
     * surplus thread ends).
     *
     * @throws IllegalArgumentException outside 1..{@value #MAX_WORKERS}
     */
    public void setWorkers(int n) {
        if (n < 1 || n > MAX_WORKERS) {
            throw new IllegalArgumentException("workers must be 1.." + MAX_WORKERS + ": " + n);
        }
        lock.lock();
        try {
            if (closed || n == workers) {
                return;
            }
            // the pool never holds a task waiting for a thread: at most `workers` were handed to it
            if (n > pool.getMaximumPoolSize()) {
                pool.setMaximumPoolSize(n);
                pool.setCorePoolSize(n);
            } else {
                pool.setCorePoolSize(n);
                pool.setMaximumPoolSize(n);
            }
            workers = n;
            schedule();
        } finally {
            lock.unlock();
        }
    }

    /** Queues an event, waiting while the queue is full. */
    public Admission put(Uevent event) throws InterruptedException {
        return admit(event, true, 0);
    }

    /** Queues an event, waiting at most {@code timeout} while the queue is full. */
    public Admission offer(Uevent event, Duration timeout) throws InterruptedException {
        return admit(event, false, timeout.toNanos());
    }

    private Admission admit(Uevent event, boolean forever, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(event, "event");
        lock.lockInterruptibly();
        try {
            boolean waited = false;
            while (true) {
                if (closed) {
                    return Admission.CLOSED;
                }
                if (event.seqnum() >= 0 && seqnums.contains(event.seqnum())) {
                    rejected++;
                    log.warn("Failed to queue event {} {} {}: SEQNUM already queued, ignoring",
                            event.seqnum(), event.action(), event.devpath());
                    return Admission.DUPLICATE;
                }
                if (list.size() < capacity) {
                    break;
                }
                if (!waited) {
                    waited = true;
                    producerWaits++;
                }
                if (forever) {
                    notFull.await();
                } else if (timeoutNanos <= 0) {
                    return Admission.FULL;
                } else {
                    timeoutNanos = notFull.awaitNanos(timeoutNanos);
                }
            }
            insert(new Entry(event));
            schedule();
            changed.signalAll();
            return Admission.QUEUED;
        } finally {
            lock.unlock();
        }
    }

    /** Inserts in SEQNUM order, scanning from the tail (arrivals are nearly always in order). */
    private void insert(Entry e) {
        long seq = e.event.seqnum();
        int at = list.size();
        if (seq >= 0) {
            seqnums.add(seq);
            while (at > 0) {
                long before = list.get(at - 1).event.seqnum();
                if (before < 0 || before < seq) {
                    break;
                }
                at--;
            }
            if (at < list.size()) {
                reordered++;
                log.debug("Event {} arrived after {}, queued in SEQNUM order", seq,
                        list.get(list.size() - 1).event.seqnum());
            }
        }
        list.add(at, e);
        if (e.driverEvent) {
            queuedDrivers++;
        }
    }

    /**
     * Starts every event that may start while workers are free: first those that carry a
     * {@code MODALIAS} (they may load a driver), then the others, each group in list order. Lock held.
     */
    private void schedule() {
        if (closed || running >= workers) {
            return;
        }
        DevpathSet earlier = scratch;
        earlier.clear();
        List<Entry> later = deferred;
        later.clear();
        int driversLeft = queuedDrivers;
        for (Entry e : list) {
            if (running >= workers) {
                break;
            }
            if (driversLeft == 0 && later.size() >= workers - running) {
                break; // no driver event further on, and enough others to fill the free workers
            }
            if (e.state == State.QUEUED) {
                boolean free = !conflicts(earlier, e) && !conflicts(runningPaths, e);
                if (e.driverEvent) {
                    driversLeft--;
                    if (free) {
                        start(e);
                    }
                } else if (free) {
                    later.add(e);
                }
            }
            for (String[] c : e.chains) {
                earlier.add(c);
            }
        }
        // an event passed over above may since conflict with a later relative that started: it waits
        for (int i = 0; i < later.size() && running < workers; i++) {
            Entry e = later.get(i);
            if (!conflicts(runningPaths, e)) {
                start(e);
            }
        }
        later.clear();
    }

    private static boolean conflicts(DevpathSet set, Entry e) {
        for (String[] c : e.chains) {
            if (set.conflicts(c)) {
                return true;
            }
        }
        return false;
    }

    private void start(Entry e) {
        e.state = State.RUNNING;
        if (e.driverEvent) {
            queuedDrivers--;
        }
        e.startedNanos = System.nanoTime();
        for (String[] c : e.chains) {
            runningPaths.add(c);
        }
        running++;
        e.timer = timer.schedule(() -> markSlow(e), slowAfter.toNanos(), TimeUnit.NANOSECONDS);
        pool.execute(() -> handle(e));
    }

    private void handle(Entry e) {
        Uevent ev = e.event;
        MDC.put(LogFields.SEQNUM, Long.toString(ev.seqnum()));
        MDC.put(LogFields.DEVPATH, ev.devpath());
        MDC.put(LogFields.ORIGIN, LogFields.UEVENT);
        boolean ok = true;
        try {
            handler.accept(ev);
        } catch (Throwable t) {
            ok = false;
            log.warn("Failed to handle event {} {} {}: {}, ignoring", ev.seqnum(), ev.action(), ev.devpath(),
                    t.toString());
        } finally {
            MDC.remove(LogFields.SEQNUM);
            MDC.remove(LogFields.DEVPATH);
            MDC.remove(LogFields.ORIGIN);
            finished(e, ok);
        }
    }

    private void finished(Entry e, boolean ok) {
        lock.lock();
        try {
            e.timer.cancel(false);
            list.remove(e);
            if (e.event.seqnum() >= 0) {
                seqnums.remove(e.event.seqnum());
            }
            for (String[] c : e.chains) {
                runningPaths.remove(c);
            }
            running--;
            done++;
            if (!ok) {
                failed++;
            }
            if (e.slow) {
                log.info("Slow event {} {} {} finished after {} ms", e.event.seqnum(), e.event.action(),
                        e.event.devpath(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - e.startedNanos));
            }
            schedule();
            notFull.signalAll();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void markSlow(Entry e) {
        lock.lock();
        try {
            if (e.state != State.RUNNING || !list.contains(e)) {
                return;
            }
            e.slow = true;
            slow++;
        } finally {
            lock.unlock();
        }
        log.warn("Event {} {} {} still running after {} ms, waiting for it", e.event.seqnum(), e.event.action(),
                e.event.devpath(), slowAfter.toMillis());
    }

    /**
     * Waits until nothing is queued or running ({@code settle}). Events a producer has not yet
     * {@link #put} are not seen.
     *
     * @return true when idle, false on timeout
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            while (!list.isEmpty()) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(list.size() - running, running, done, slow, rejected, failed, reordered, producerWaits);
        } finally {
            lock.unlock();
        }
    }

    /** The events being handled now, oldest first. */
    public List<Running> running() {
        lock.lock();
        try {
            long now = System.nanoTime();
            List<Running> out = new ArrayList<>();
            for (Entry e : list) {
                if (e.state == State.RUNNING) {
                    out.add(new Running(e.event, Duration.ofNanos(now - e.startedNanos), e.slow));
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admitting and starting events, then waits up to {@code timeout} for the running ones.
     * Running handlers are never interrupted: if they outlast the timeout they are logged and left to
     * finish on their (daemon) threads.
     *
     * @return the events that were queued but never started, in SEQNUM order (for a restart to
     *         replay)
     */
    public List<Uevent> shutdown(Duration timeout) throws InterruptedException {
        List<Uevent> unstarted = new ArrayList<>();
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            closed = true;
            list.removeIf(e -> {
                if (e.state == State.QUEUED) {
                    unstarted.add(e.event);
                    if (e.event.seqnum() >= 0) {
                        seqnums.remove(e.event.seqnum());
                    }
                    return true;
                }
                return false;
            });
            queuedDrivers = 0;
            notFull.signalAll();
            changed.signalAll();
            while (running > 0 && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            if (running > 0) {
                log.warn("{} events still running at shutdown, leaving them to finish", running);
            }
        } finally {
            lock.unlock();
        }
        pool.shutdown();
        timer.shutdown();
        return unstarted;
    }

    /** {@link #shutdown} without waiting for running events. */
    @Override
    public void close() {
        try {
            shutdown(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }
}
