package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Source → queue wiring as the daemon does it: back-pressure, overflow resync, stop while blocked. */
class PipelineTest {

    /** The sink the daemon would use: put into the queue; on overflow, queue a sysfs rescan. */
    static UeventSink into(EventQueue q, Runnable rescan) {
        return new UeventSink() {
            @Override
            public void accept(Uevent e) throws InterruptedException {
                q.put(e);
            }

            @Override
            public void overflow() {
                rescan.run();
            }
        };
    }

    @Test
    void scriptedReplayThroughASmallQueueDeliversEverythingInOrderPerDevice() throws Exception {
        List<ScriptedUeventSource.Step> steps = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            steps.add(new ScriptedUeventSource.Datagram(UeventParser.encode(
                    EventQueueTest.ev(i, "/devices/pci0/dev" + (i % 5)))));
            if (i == 100) {
                steps.add(new ScriptedUeventSource.Overflow());
            }
        }
        List<Long> handled = new CopyOnWriteArrayList<>();
        AtomicInteger rescans = new AtomicInteger();
        try (EventQueue q = new EventQueue(3, 4, Duration.ofMinutes(1), e -> {
            handled.add(e.seqnum());
            EventQueueTest.sleep(1);
        }); ScriptedUeventSource src = new ScriptedUeventSource(steps, new UeventParser())) {
            src.run(into(q, rescans::incrementAndGet));
            assertTrue(q.awaitIdle(Duration.ofSeconds(30)));
            assertEquals(200, q.stats().done());
            assertTrue(q.stats().producerWaits() > 0, "a queue of 4 never pushed back on 200 events");
        }
        assertEquals(1, rescans.get());
        for (int dev = 0; dev < 5; dev++) {
            final int d = dev;
            List<Long> perDevice = handled.stream().filter(s -> s % 5 == d).toList();
            assertEquals(perDevice.stream().sorted().toList(), perDevice, "device " + d + " out of order");
        }
    }

    @Test
    void stopReturnsEvenWhenTheNetlinkThreadIsBlockedOnAFullQueue() throws Exception {
        assumeTrue(RealKernel.usable(), "needs root and NETLINK_KOBJECT_UEVENT");
        Path dev = RealKernel.modaliasDevice();
        CountDownLatch gate = new CountDownLatch(1);
        try (EventQueue q = new EventQueue(1, 1, Duration.ofMinutes(1), e -> EventQueueTest.await(gate))) {
            NetlinkUeventSource src = NetlinkUeventSource.open(NetlinkUeventSource.Options.DEFAULTS);
            Throwable[] failure = new Throwable[1];
            Thread owner = new Thread(() -> {
                try {
                    src.run(into(q, () -> { }));
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }, "test-netlink-owner");
            owner.start();
            String tag = UUID.randomUUID().toString();
            for (int i = 0; i < 3; i++) {
                RealKernel.writeUevent(dev, "change " + tag);
            }
            assertTrue(org.lkmd.testing.Await.waitFor(() -> q.stats().producerWaits() > 0, java.time.Duration.ofSeconds(20)), "owner never blocked");
            src.stop();
            owner.join(TimeUnit.SECONDS.toMillis(5));
            assertFalse(owner.isAlive(), "stop() did not free an owner blocked on back-pressure");
            assertNull(failure[0]);
            src.close();
            gate.countDown();
        }
    }
}
