package org.lkmd.uevent;

import org.lkmd.base.LogFields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lkmd.testing.Await.waitFor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class EventQueueTest {
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final Duration WAIT = Duration.ofSeconds(30);

    static Uevent ev(long seq, String devpath, String... extra) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", "add");
        p.put("DEVPATH", devpath);
        for (int i = 0; i + 1 < extra.length; i += 2) {
            p.put(extra[i], extra[i + 1]);
        }
        if (seq >= 0) {
            p.put("SEQNUM", Long.toString(seq));
        }
        return new Uevent("add", devpath, seq, p);
    }

    static boolean related(String a, String b) {
        return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
    }

    /** Start/end on one logical clock, per event, to check ordering after the fact. */
    static final class Trace implements Consumer<Uevent> {
        final AtomicLong clock = new AtomicLong();
        final Map<Long, long[]> spans = new ConcurrentHashMap<>();
        final List<Uevent> started = new CopyOnWriteArrayList<>();
        final Map<String, Integer> active = new ConcurrentHashMap<>();
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final Random random = new Random(42);
        volatile int maxSleepMicros;

        @Override
        public void accept(Uevent e) {
            long start = clock.incrementAndGet();
            started.add(e);
            synchronized (active) {
                for (String other : active.keySet()) {
                    if (related(other, e.devpath())) {
                        violations.add(e.seqnum() + " " + e.devpath() + " ran with " + other);
                    }
                }
                active.merge(e.devpath(), 1, Integer::sum);
            }
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            int sleep;
            synchronized (random) {
                sleep = maxSleepMicros == 0 ? 0 : random.nextInt(maxSleepMicros);
            }
            try {
                TimeUnit.MICROSECONDS.sleep(sleep);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            concurrent.decrementAndGet();
            synchronized (active) {
                active.computeIfPresent(e.devpath(), (k, n) -> n == 1 ? null : n - 1);
            }
            spans.put(e.seqnum(), new long[] {start, clock.incrementAndGet()});
        }
    }

    /** A device tree: 4 buses × 4 devices × 3 interfaces, plus the paths' string-prefix traps. */
    static List<String> hierarchy() {
        List<String> paths = new ArrayList<>();
        for (int b = 0; b < 4; b++) {
            String bus = "/devices/pci0000:0" + b;
            paths.add(bus);
            for (int d = 0; d < 4; d++) {
                String dev = bus + "/0000:0" + b + ":0" + d + ".0";
                paths.add(dev);
                paths.add(dev + "0"); // a string-prefix sibling, not a child
                for (int i = 0; i < 3; i++) {
                    paths.add(dev + "/usb" + i);
                }
            }
        }
        return paths;
    }

    /** One worker; records each SEQNUM it starts and holds event 1 until {@code gate} opens. */
    private static EventQueue serialHeldAtOne(CountDownLatch gate, List<Long> order) {
        return new EventQueue(1, 100, LONG, e -> {
            order.add(e.seqnum());
            if (e.seqnum() == 1) {
                await(gate);
            }
        });
    }

    @Test
    void theHandlerRunsWithTheEventsLogFields() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (EventQueue q = new EventQueue(1, 100, LONG, e -> seen.add(org.slf4j.MDC.get(LogFields.SEQNUM) + " "
                + org.slf4j.MDC.get(LogFields.DEVPATH) + " " + org.slf4j.MDC.get(LogFields.ORIGIN)))) {
            q.put(ev(7, "/devices/a"));
            assertTrue(q.awaitIdle(WAIT));
            q.put(ev(8, "/devices/b"));
            assertTrue(q.awaitIdle(WAIT));
        }
        assertEquals(List.of("7 /devices/a uevent", "8 /devices/b uevent"), seen);
    }

    @Test
    void lateArrivalIsInsertedInSeqnumOrder() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<Long> order = new CopyOnWriteArrayList<>();
        try (EventQueue q = serialHeldAtOne(gate, order)) {
            q.put(ev(1, "/devices/a"));
            q.put(ev(4, "/devices/b"));
            q.put(ev(2, "/devices/c"));
            q.put(ev(3, "/devices/d"));
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(List.of(1L, 2L, 3L, 4L), order);
            assertEquals(2, q.stats().reordered());
        }
    }

    @Test
    void duplicateSeqnumIsRejectedAndCountedWhileTheFirstIsQueuedOrRunning() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        try (EventQueue q = new EventQueue(1, 100, LONG, e -> {
            await(gate);
            handled.incrementAndGet();
        })) {
            assertEquals(EventQueue.Admission.QUEUED, q.put(ev(5, "/devices/a")));
            assertEquals(EventQueue.Admission.QUEUED, q.put(ev(6, "/devices/b")));
            assertEquals(EventQueue.Admission.DUPLICATE, q.put(ev(5, "/devices/x")));
            assertEquals(EventQueue.Admission.DUPLICATE, q.put(ev(6, "/devices/b")));
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(2, handled.get());
            assertEquals(2, q.stats().rejected());
            // Once done, the number is free again (the kernel never reuses one; a replay might).
            assertEquals(EventQueue.Admission.QUEUED, q.put(ev(5, "/devices/a")));
            assertTrue(q.awaitIdle(WAIT));
        }
    }

    @Test
    void independentDevicesRunInParallel() throws Exception {
        CyclicBarrier all4 = new CyclicBarrier(4);
        AtomicInteger met = new AtomicInteger();
        try (EventQueue q = new EventQueue(4, 100, LONG, e -> {
            try {
                all4.await(20, TimeUnit.SECONDS);
                met.incrementAndGet();
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        })) {
            // Siblings, and string-prefix neighbours that are not ancestors.
            q.put(ev(1, "/devices/pci0/0000:01"));
            q.put(ev(2, "/devices/pci0/0000:010"));
            q.put(ev(3, "/devices/pci0/0000:02"));
            q.put(ev(4, "/devices/virtual/net/lo"));
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(4, met.get(), "four events did not run at the same time");
            assertEquals(0, q.stats().failed());
        }
    }

    @Test
    void childWaitsForParentAndParentWaitsForEarlierChild() throws Exception {
        Trace t = new Trace();
        t.maxSleepMicros = 20_000;
        try (EventQueue q = new EventQueue(8, 100, LONG, t)) {
            q.put(ev(1, "/devices/pci0/usb1"));
            q.put(ev(2, "/devices/pci0/usb1/1-1"));       // child of 1
            q.put(ev(3, "/devices/pci0"));                // parent of 1 and 2
            q.put(ev(4, "/devices/pci0/usb1/1-1/1-1:1.0")); // grandchild, after the parent
            q.put(ev(5, "/devices/pci1"));                // independent
            assertTrue(q.awaitIdle(WAIT));
        }
        assertTrue(t.spans.get(1L)[1] < t.spans.get(2L)[0]);
        assertTrue(t.spans.get(2L)[1] < t.spans.get(3L)[0]);
        assertTrue(t.spans.get(3L)[1] < t.spans.get(4L)[0]);
        assertTrue(t.violations.isEmpty(), t.violations.toString());
    }

    @Test
    void renameWaitsForEventsOnTheOldDevpath() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Trace t = new Trace();
        try (EventQueue q = new EventQueue(4, 100, LONG, e -> {
            if (e.seqnum() == 1) {
                await(gate);
            }
            t.accept(e);
        })) {
            q.put(ev(1, "/devices/virtual/net/eth0"));
            q.put(ev(2, "/devices/virtual/net/wan0", "DEVPATH_OLD", "/devices/virtual/net/eth0"));
            q.put(ev(3, "/devices/virtual/net/lo"));
            assertTrue(waitFor(() -> t.spans.containsKey(3L), java.time.Duration.ofSeconds(20)), "independent event 3 blocked");
            assertFalse(t.spans.containsKey(2L), "rename ran before the event on its old name");
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
        }
        assertTrue(t.spans.get(1L)[1] < t.spans.get(2L)[0]);
    }

    @Test
    void shuffledArrivalsBehindABlockedRootRunInSeqnumOrderPerDeviceChain() throws Exception {
        List<String> paths = hierarchy();
        int n = 1500;
        Random rnd = new Random(7);
        List<Uevent> events = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            events.add(ev(i, paths.get(rnd.nextInt(paths.size()))));
        }
        // Shuffle within windows of 32: the kernel's order is nearly right, never badly wrong.
        for (int i = 0; i < n; i += 32) {
            Collections.shuffle(events.subList(i, Math.min(n, i + 32)), rnd);
        }
        CountDownLatch gate = new CountDownLatch(1);
        Trace t = new Trace();
        t.maxSleepMicros = 300;
        try (EventQueue q = new EventQueue(8, 4096, LONG, e -> {
            if (e.seqnum() == 0) {
                await(gate);
            }
            t.accept(e);
        })) {
            q.put(ev(0, "/devices")); // the ancestor of everything holds all back until all arrived
            for (Uevent e : events) {
                assertEquals(EventQueue.Admission.QUEUED, q.put(e));
            }
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(n + 1, q.stats().done());
            assertTrue(q.stats().reordered() > 0);
        }
        assertTrue(t.violations.isEmpty(), t.violations.toString());
        int checked = 0;
        for (Uevent a : events) {
            for (Uevent b : events) {
                if (a.seqnum() < b.seqnum() && related(a.devpath(), b.devpath())) {
                    checked++;
                    assertTrue(t.spans.get(a.seqnum())[1] < t.spans.get(b.seqnum())[0],
                            a.seqnum() + " " + a.devpath() + " must end before " + b.seqnum() + " " + b.devpath());
                }
            }
        }
        assertTrue(checked > 10_000, "few related pairs: " + checked);
        assertTrue(t.maxConcurrent.get() > 1, "never ran two events at once");
        System.out.println("hierarchy: " + checked + " ordered pairs checked, max concurrent " + t.maxConcurrent.get());
    }

    @Test
    void manyProducersNeverRunRelatedEventsTogether() throws Exception {
        List<String> paths = hierarchy();
        int producers = 6;
        int perProducer = 400;
        AtomicLong seq = new AtomicLong();
        Trace t = new Trace();
        t.maxSleepMicros = 200;
        try (EventQueue q = new EventQueue(8, 64, LONG, t)) {
            List<Thread> threads = new ArrayList<>();
            AtomicInteger notQueued = new AtomicInteger();
            for (int p = 0; p < producers; p++) {
                Random rnd = new Random(p);
                Thread th = new Thread(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        try {
                            // Numbers are taken before the race to put: arrivals come out of order.
                            long s = seq.incrementAndGet();
                            if (q.put(ev(s, paths.get(rnd.nextInt(paths.size())))) != EventQueue.Admission.QUEUED) {
                                notQueued.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join(60_000);
            }
            assertTrue(q.awaitIdle(WAIT));
            EventQueue.Stats s = q.stats();
            assertEquals(0, notQueued.get());
            assertEquals(producers * perProducer, s.done());
            assertEquals(0, s.queued());
            assertEquals(0, s.running());
            assertTrue(s.producerWaits() > 0, "capacity 64 never pushed back: " + s);
        }
        assertTrue(t.violations.isEmpty(), t.violations.toString());
        assertEquals(producers * perProducer, t.spans.size());
        assertTrue(t.maxConcurrent.get() > 1);
    }

    @Test
    void fullQueueBlocksTheProducerUntilAWorkerFinishes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (EventQueue q = new EventQueue(1, 2, LONG, e -> await(gate))) {
            q.put(ev(1, "/devices/a"));
            q.put(ev(2, "/devices/b"));
            assertEquals(EventQueue.Admission.FULL, q.offer(ev(3, "/devices/c"), Duration.ofMillis(50)));
            AtomicBoolean returned = new AtomicBoolean();
            Thread producer = new Thread(() -> {
                try {
                    q.put(ev(3, "/devices/c"));
                    returned.set(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            Thread.sleep(200);
            assertFalse(returned.get(), "put did not block on a full queue");
            assertEquals(Thread.State.WAITING, producer.getState());
            gate.countDown();
            producer.join(10_000);
            assertTrue(returned.get());
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(3, q.stats().done());
            assertEquals(2, q.stats().producerWaits());
        }
    }

    @Test
    void startableEventsWithAModaliasGoFirstButNeverPassAnEarlierRelative() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<Long> order = new CopyOnWriteArrayList<>();
        try (EventQueue q = serialHeldAtOne(gate, order)) {
            q.put(ev(1, "/module/first"));
            q.put(ev(2, "/module/a"));
            q.put(ev(3, "/devices/x", "MODALIAS", "pci:v1"));
            q.put(ev(4, "/bus/pci"));
            q.put(ev(5, "/devices/x/child", "MODALIAS", "usb:v2"));
            q.put(ev(6, "/module/a", "MODALIAS", "acpi:X:"));
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
            // 3 and 5 jump the subsystem events; 5 still after its parent 3, 6 after 2 (same devpath)
            assertEquals(List.of(1L, 3L, 5L, 2L, 6L, 4L), order);
        }
    }

    @Test
    void slowEventIsReportedButNeverInterruptedAndBlocksItsChildren() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        List<Long> order = new CopyOnWriteArrayList<>();
        try (EventQueue q = new EventQueue(2, 10, Duration.ofMillis(50), e -> {
            if (e.seqnum() == 1) {
                try {
                    gate.await();
                } catch (InterruptedException ex) {
                    interrupted.set(true);
                }
            }
            order.add(e.seqnum());
        })) {
            q.put(ev(1, "/devices/slow"));
            q.put(ev(2, "/devices/slow/child"));
            assertTrue(waitFor(() -> q.stats().slow() == 1, java.time.Duration.ofSeconds(20)), "never reported slow");
            assertFalse(q.awaitIdle(Duration.ofMillis(100)));
            List<EventQueue.Running> now = q.running();
            assertEquals(1, now.size());
            assertTrue(now.get(0).slow());
            assertEquals(1, now.get(0).event().seqnum());
            assertEquals(1, q.stats().queued(), "child must still wait for the slow parent");
            gate.countDown();
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(List.of(1L, 2L), order);
            assertFalse(interrupted.get());
            // the child may itself pass the 50 ms mark on a loaded machine; the slow parent counted once at least
            assertTrue(q.stats().slow() >= 1);
        }
    }

    @Test
    void handlerExceptionCountsAsFailedAndTheQueueMovesOn() throws Exception {
        try (EventQueue q = new EventQueue(2, 10, LONG, e -> {
            if (e.seqnum() == 1) {
                throw new IllegalStateException("boom");
            }
        })) {
            q.put(ev(1, "/devices/a"));
            q.put(ev(2, "/devices/a/b"));
            assertTrue(q.awaitIdle(WAIT));
            assertEquals(new EventQueue.Stats(0, 0, 2, 0, 0, 1, 0, 0), q.stats());
        }
    }

    @Test
    void eventsWithoutSeqnumKeepArrivalOrderAndAreNeverDuplicates() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        try (EventQueue q = new EventQueue(1, 10, LONG, e -> order.add(e.devpath()))) {
            q.put(ev(-1, "/devices/c"));
            q.put(ev(-1, "/devices/a"));
            q.put(ev(-1, "/devices/a"));
            q.put(ev(-1, "/devices/b"));
            assertTrue(q.awaitIdle(WAIT));
        }
        assertEquals(List.of("/devices/c", "/devices/a", "/devices/a", "/devices/b"), order);
    }

    @Test
    void shutdownReturnsUnstartedEventsWaitsForRunningOnesAndRefusesNewOnes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        EventQueue q = new EventQueue(1, 10, LONG, e -> {
            await(gate);
            finished.incrementAndGet();
        });
        q.put(ev(1, "/devices/a"));
        q.put(ev(3, "/devices/c"));
        q.put(ev(2, "/devices/b"));
        assertTrue(waitFor(() -> q.stats().running() == 1, java.time.Duration.ofSeconds(20)));
        new Thread(() -> {
            sleep(200);
            gate.countDown();
        }).start();
        List<Uevent> left = q.shutdown(WAIT);
        assertEquals(List.of(2L, 3L), left.stream().map(Uevent::seqnum).toList());
        assertEquals(1, finished.get(), "shutdown did not wait for the running event");
        assertEquals(EventQueue.Admission.CLOSED, q.put(ev(4, "/devices/d")));
        assertTrue(q.awaitIdle(Duration.ZERO));
    }

    static void await(CountDownLatch gate) {
        try {
            if (!gate.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
