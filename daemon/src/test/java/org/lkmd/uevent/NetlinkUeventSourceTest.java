package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The netlink listener against this machine's kernel (root only): real uevents in, forged ones
 * dropped, truncation, overflow, socket activation. Each test tags its own events with a
 * {@code SYNTH_UUID} so events from other processes on the machine do not confuse it.
 */
class NetlinkUeventSourceTest {
    private static final NetlinkUeventSource.Options OPTS = NetlinkUeventSource.Options.DEFAULTS;

    @BeforeAll
    static void needsRootAndNetlink() {
        assumeTrue(RealKernel.usable(), "needs root and NETLINK_KOBJECT_UEVENT");
    }

    @Test
    void senderCheckTrustsOnlyWholeKernelDatagramsWithRootCredentials() {
        assertNull(NetlinkUeventSource.senderCheck(0, OptionalInt.of(0), false));
        assertEquals(DropReason.FORGED_SENDER, NetlinkUeventSource.senderCheck(4242, OptionalInt.of(0), false));
        assertEquals(DropReason.FORGED_SENDER, NetlinkUeventSource.senderCheck(-7, OptionalInt.empty(), true));
        assertEquals(DropReason.NO_CREDENTIALS, NetlinkUeventSource.senderCheck(0, OptionalInt.empty(), false));
        assertEquals(DropReason.NON_ROOT_CREDENTIALS, NetlinkUeventSource.senderCheck(0, OptionalInt.of(65534), false));
        assertEquals(DropReason.TRUNCATED, NetlinkUeventSource.senderCheck(0, OptionalInt.of(0), true));
    }

    @Test
    void realAddFromSysfsArrivesWithSeqnumAndModalias() throws Exception {
        Path dev = RealKernel.modaliasDevice();
        String uuid = UUID.randomUUID().toString();
        try (RealKernel.Running r = new RealKernel.Running(NetlinkUeventSource.open(OPTS))) {
            NetlinkUeventSource src = (NetlinkUeventSource) r.source;
            assertTrue(src.receiveBufferSize() >= 2 * 1024 * 1024, "granted " + src.receiveBufferSize());
            RealKernel.writeUevent(dev, "add " + uuid);
            Uevent e = r.await(u -> uuid.equals(u.get("SYNTH_UUID")), 10);
            assertNotNull(e, "no uevent from " + dev);
            assertEquals("add", e.action());
            assertEquals(RealKernel.devpath(dev), e.devpath());
            assertTrue(e.seqnum() > 0, "SEQNUM " + e.seqnum());
            assertEquals(RealKernel.read(dev.resolve("modalias")), e.modalias());
            // Delivered at all means: nl_pid 0 and SCM_CREDENTIALS uid 0 (see senderCheck).
            assertEquals(0, src.drops().get(DropReason.FORGED_SENDER));
            System.out.println("real uevent: seq " + e.seqnum() + " " + e.properties());
        }
    }

    @Test
    void forgedMulticastAndUnicastFromRootAreReceivedAndDropped() throws Exception {
        Path dev = RealKernel.modaliasDevice();
        String devpath = RealKernel.devpath(dev);
        String modalias = RealKernel.read(dev.resolve("modalias"));
        String forgedUuid = UUID.randomUUID().toString();
        String sentinel = UUID.randomUUID().toString();
        byte[] forged = ("add@" + devpath + "\0ACTION=add\0DEVPATH=" + devpath + "\0SUBSYSTEM=platform\0MODALIAS="
                + modalias + "\0SEQNUM=999999999\0SYNTH_UUID=" + forgedUuid + "\0").getBytes(StandardCharsets.UTF_8);
        int forger = RealKernel.forgerSocket();
        try (RealKernel.Running r = new RealKernel.Running(NetlinkUeventSource.open(OPTS))) {
            NetlinkUeventSource src = (NetlinkUeventSource) r.source;
            assertEquals(0, RealKernel.send(forger, forged, 0, NetlinkUeventSource.KERNEL_GROUP), "multicast send");
            assertEquals(0, RealKernel.send(forger, forged, src.portId(), 0), "unicast send");
            // A real event after the forgeries: when it is delivered, both forgeries were read.
            // with a receive buffer this small, another uevent on the machine at the same moment can
            // push the sentinel out too: send it again each second until one arrives (10 at most)
            List<Uevent> got = new java.util.ArrayList<>();
            for (int i = 0; i < 10 && got.stream().noneMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))); i++) {
                RealKernel.writeUevent(dev, "change " + sentinel);
                got.addAll(r.collectUntil(u -> sentinel.equals(u.get("SYNTH_UUID")), 1));
            }
            assertTrue(got.stream().anyMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))), "sentinel not delivered");
            assertFalse(got.stream().anyMatch(u -> forgedUuid.equals(u.get("SYNTH_UUID"))), "forgery delivered");
            assertEquals(2, src.drops().get(DropReason.FORGED_SENDER), src.drops().toString());
            assertTrue(src.received() >= 3);
        } finally {
            RealKernel.close(forger);
        }
    }

    @Test
    void unprivilegedSenderIsRefusedByTheKernelOrDropped() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path setpriv = Path.of("/usr/bin/setpriv");
        assumeTrue(python.toFile().canExecute() && setpriv.toFile().canExecute(), "needs python3 and setpriv");
        Path dev = RealKernel.modaliasDevice();
        String devpath = RealKernel.devpath(dev);
        String forgedUuid = UUID.randomUUID().toString();
        String sentinel = UUID.randomUUID().toString();
        try (RealKernel.Running r = new RealKernel.Running(NetlinkUeventSource.open(OPTS))) {
            NetlinkUeventSource src = (NetlinkUeventSource) r.source;
            String script = String.join("\n",
                    "import socket, sys",
                    "dp = sys.argv[1]; port = int(sys.argv[2]); uuid = sys.argv[3]",
                    "msg = ('add@%s\\0ACTION=add\\0DEVPATH=%s\\0SUBSYSTEM=platform\\0MODALIAS=platform:pcspkr\\0'",
                    "       'SEQNUM=999999998\\0SYNTH_UUID=%s\\0' % (dp, dp, uuid)).encode()",
                    "s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)",
                    "for name, addr in (('multicast', (0, 1)), ('unicast', (port, 0))):",
                    "    try:",
                    "        s.sendto(msg, addr); print(name, 'sent')",
                    "    except OSError as e:",
                    "        print(name, 'errno', e.errno)");
            Process p = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
                    python.toString(), "-c", script, devpath, Integer.toString(src.portId()), forgedUuid)
                    .redirectErrorStream(true).start();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            System.out.println("unprivileged forger (uid 65534): " + out.replace('\n', ';'));
            // with a receive buffer this small, another uevent on the machine at the same moment can
            // push the sentinel out too: send it again each second until one arrives (10 at most)
            List<Uevent> got = new java.util.ArrayList<>();
            for (int i = 0; i < 10 && got.stream().noneMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))); i++) {
                RealKernel.writeUevent(dev, "change " + sentinel);
                got.addAll(r.collectUntil(u -> sentinel.equals(u.get("SYNTH_UUID")), 1));
            }
            assertTrue(got.stream().anyMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))), "sentinel not delivered");
            assertFalse(got.stream().anyMatch(u -> forgedUuid.equals(u.get("SYNTH_UUID"))), "forgery delivered");
            long sent = out.lines().filter(l -> l.endsWith(" sent")).count();
            assertEquals(sent, src.drops().get(DropReason.FORGED_SENDER), out + " / " + src.drops());
            // Whatever got through the kernel carries the sender's real uid, but the port id check comes first.
            out.lines().filter(l -> l.contains("errno")).forEach(l -> assertTrue(l.endsWith("errno 1"), l));
        }
    }

    @Test
    void datagramLongerThanTheMessageBufferIsDroppedAsTruncated() throws Exception {
        Path dev = RealKernel.modaliasDevice();
        try (RealKernel.Running r = new RealKernel.Running(NetlinkUeventSource.open(OPTS.withMessageBuffer(64)))) {
            RealKernel.writeUevent(dev, "change " + UUID.randomUUID());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (r.source.drops().get(DropReason.TRUNCATED) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(r.source.drops().get(DropReason.TRUNCATED) >= 1, r.source.drops().toString());
            assertEquals(0, r.source.delivered());
        }
    }

    @Test
    void tinyReceiveBufferAndBurstSignalOverflowThenKeepReading() throws Exception {
        Path dev = RealKernel.modaliasDevice();
        String tag = UUID.randomUUID().toString();
        NetlinkUeventSource src = NetlinkUeventSource.open(OPTS.withReceiveBuffer(1));
        int burst = 200;
        // Nobody reads while the burst is written: the kernel must drop most of it for this socket.
        for (int i = 0; i < burst; i++) {
            RealKernel.writeUevent(dev, "change " + tag);
        }
        String sentinel = UUID.randomUUID().toString();
        try (RealKernel.Running r = new RealKernel.Running(src)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (r.overflows.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // with a receive buffer this small, another uevent on the machine at the same moment can
            // push the sentinel out too: send it again each second until one arrives (10 at most)
            List<Uevent> got = new java.util.ArrayList<>();
            for (int i = 0; i < 10 && got.stream().noneMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))); i++) {
                RealKernel.writeUevent(dev, "change " + sentinel);
                got.addAll(r.collectUntil(u -> sentinel.equals(u.get("SYNTH_UUID")), 1));
            }
            long ours = got.stream().filter(u -> tag.equals(u.get("SYNTH_UUID"))).count();
            System.out.println("overflow: rcvbuf granted " + src.receiveBufferSize() + " bytes, burst " + burst
                    + ", delivered " + ours + ", overflow signals " + r.overflows.get());
            assertTrue(r.overflows.get() >= 1, "no ENOBUFS");
            assertEquals(r.overflows.get(), src.overflows());
            assertTrue(ours < burst, "all " + burst + " delivered despite the overflow");
            assertTrue(got.stream().anyMatch(u -> sentinel.equals(u.get("SYNTH_UUID"))), "reading did not resume");
        }
    }

    @Test
    void socketFromSystemdIsFoundAmongListenFdsAndReceivesEvents() throws Exception {
        int fd = LibC.INSTANCE.socket(LibC.AF_NETLINK, LibC.SOCK_RAW, LibC.NETLINK_KOBJECT_UEVENT);
        LibC.INSTANCE.bind(fd, NetlinkSockets.sockaddrNl(0, 0), LibC.SOCKADDR_NL_SIZE);
        long pid = ProcessHandle.current().pid();
        // fds 3..fd are all "passed": only ours is a kobject-uevent socket.
        Map<String, String> env = Map.of("LISTEN_PID", Long.toString(pid), "LISTEN_FDS", Integer.toString(fd - 2));
        NetlinkUeventSource src = NetlinkUeventSource.fromSocketActivation(env, OPTS).orElseThrow();
        assertEquals(fd, src.fd());
        Path dev = RealKernel.modaliasDevice();
        String uuid = UUID.randomUUID().toString();
        try (RealKernel.Running r = new RealKernel.Running(src)) {
            RealKernel.writeUevent(dev, "change " + uuid);
            assertNotNull(r.await(u -> uuid.equals(u.get("SYNTH_UUID")), 10), "adopted socket got no event");
        }
        assertTrue(NetlinkUeventSource.fromSocketActivation(
                Map.of("LISTEN_PID", Long.toString(pid + 1), "LISTEN_FDS", "1"), OPTS).isEmpty());
    }

    @Test
    void adoptRefusesSomethingThatIsNotAKobjectUeventSocket() throws IOException {
        int route = LibC.INSTANCE.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
        int efd = LibC.INSTANCE.eventfd(0, LibC.EFD_CLOEXEC);
        try {
            assertThrows(IOException.class, () -> NetlinkUeventSource.adopt(route, OPTS));
            assertThrows(IOException.class, () -> NetlinkUeventSource.adopt(efd, OPTS));
            assertThrows(IOException.class, () -> NetlinkUeventSource.adopt(99999, OPTS));
        } finally {
            RealKernel.close(route);
            RealKernel.close(efd);
        }
    }

    @Test
    void stopWakesTheOwnerBlockedInPollAndCloseReleasesTheSocket() throws Exception {
        NetlinkUeventSource src = NetlinkUeventSource.open(OPTS.withReceiveBuffer(0));
        RealKernel.Running r = new RealKernel.Running(src);
        Thread.sleep(200); // let it block in poll with nothing to read
        assertTrue(r.thread.isAlive());
        src.stop();
        r.thread.join(5000);
        assertFalse(r.thread.isAlive(), "owner still blocked after stop()");
        assertNull(r.failure);
        int fd = src.fd();
        src.close();
        assertFalse(NetlinkSockets.isKobjectUeventSocket(fd), "fd still open after close()");
        src.close(); // idempotent
    }
}
