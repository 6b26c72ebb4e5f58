package org.lkmd.it;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * The control socket and the admin verbs against a daemon running in-process with --simulate on
 * a fake root whose {@code sys} is this machine's {@code /sys}: real uevents (written to real
 * {@code uevent} files) go through real netlink, the verbs talk to the real socket.
 */
class ControlSocketTest {
    static final String PCSPKR = "/devices/platform/pcspkr";
    /** A change on pcspkr carrying SLOW=1 runs {@code sleep 8} in a PROGRAM match (under the 10 s PROGRAM limit). */
    static final String SLOW_RULE = "ACTION==\"change\", KERNEL==\"pcspkr\", ENV{SYNTH_ARG_SLOW}==\"1\", PROGRAM==\"/bin/sleep 8\"\n";

    @TempDir
    static Path tmp;
    static Path root;
    static String r;
    static String rel;
    static SimulatingDaemon sim;
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: writes to /sys uevent files");
        assumeTrue(Files.exists(Path.of("/sys" + PCSPKR + "/uevent")), "no pcspkr device");
        rel = RealTree.release();
        // the directories up to the socket must be searchable by the unprivileged client
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        root = FakeRoots.ownConfig(tmp.resolve("root"), "quiet\n");
        Path rules = FakeRoots.withSysAndShippedRules(root);
        Files.writeString(rules.resolve("10-slow.rules"), SLOW_RULE);
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), goodToml());
        r = root.toString();
        sim = SimulatingDaemon.over(root).release(rel).start();
        daemon = sim.daemon;
        sim.controlSocket();
    }

    static String goodToml() {
        return "[events]\nworkers = 4\n[reload]\ndebounce_ms = 100\n";
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (sim != null) {
            sim.close();
        }
    }

    static void uevent(String devpath, String text) throws IOException {
        Files.writeString(Path.of("/sys" + devpath + "/uevent"), text);
    }

    /** Writes {@code add} to pcspkr and returns the record the daemon made of it. */
    static EventRecord addPcspkr() throws Exception {
        String uuid = UUID.randomUUID().toString();
        uevent(PCSPKR, "add " + uuid);
        waitFor(() -> daemon.events().forDevpath(PCSPKR).stream().anyMatch(x -> uuid.equals(x.synthUuid())),
                Duration.ofSeconds(20));
        return daemon.events().forDevpath(PCSPKR).stream().filter(x -> uuid.equals(x.synthUuid())).findFirst()
                .orElseThrow(() -> new AssertionError("event " + uuid + " not handled"));
    }

    static EventRecord.Result resultFor(EventRecord rec, String module) {
        return rec.outcomes().stream().filter(o -> o.what().equals(module)).map(EventRecord.Outcome::result)
                .findFirst().orElse(null);
    }

    static void awaitGeneration(long g) throws InterruptedException {
        waitFor(() -> daemon.snapshot().generation() >= g, Duration.ofSeconds(15));
        assertTrue(daemon.snapshot().generation() >= g, "no reload to generation " + g);
    }

    /** A raw protocol exchange: sends bytes, returns everything the daemon sent until it closed (or 5 s). */
    static String raw(byte[] request) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(root.resolve("run/lkmd/control")));
            OutputStream out = Channels.newOutputStream(ch);
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // the daemon may close before reading all of an oversized request
            }
            InputStream in = Channels.newInputStream(ch);
            CompletableFuture<byte[]> all = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            return new String(all.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        }
    }

    @Test
    void statusReportsSnapshotQueueAndCounters() throws Exception {
        addPcspkr();
        Tool t = Tool.lkmd("status", "--root", r);
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().contains("simulating, kernel " + rel), t.out());
        assertTrue(t.out().contains("80-lkmd-drivers.rules"), t.out());
        assertTrue(t.out().contains("modules.alias"), t.out());
        assertTrue(t.out().matches("(?s).*queue: \\d+ queued, \\d+ of 4 workers busy.*"), t.out());
        assertTrue(t.out().contains("outcomes:") && t.out().contains("dry_run="), t.out());
        assertTrue(t.out().contains("drops:") && t.out().contains("last reload problems:"), t.out());
        Tool j = Tool.lkmd("status", "--json", "--root", r);
        JsonObject o = ControlCodec.parseResponse(j.out().strip());
        assertTrue(o.get("events").getAsLong() >= 1);
    }

    @Test
    void settleOverTheSocketAndWithoutADaemon() throws Exception {
        assertEquals(0, Tool.lkmd("settle", "--root", r, "--timeout", "30").rc());
        Path empty = tmp.resolve("no-daemon");
        Files.createDirectories(empty);
        assertEquals(0, Tool.lkmd("settle", "--root", empty.toString(), "--timeout", "1").rc());
        Files.createDirectories(empty.resolve("run/lkmd"));
        Files.writeString(empty.resolve("run/lkmd/queue"), "");
        Tool t = Tool.lkmd("settle", "--root", empty.toString(), "--timeout", "0.3");
        assertEquals(1, t.rc(), "the queue file fallback must wait for the marker");
    }

    @Test
    void monitorStreamsRealEventsWithOutcomeAndLatency() throws Exception {
        CompletableFuture<Tool> mon = CompletableFuture.supplyAsync(() ->
                Tool.lkmd("monitor", "--root", r, "--subsystem", "platform", "--property", "--count", "1"));
        // the monitor subscribes asynchronously: keep making events until it has printed one
        for (int i = 0; i < 60 && !mon.isDone(); i++) {
            uevent(PCSPKR, "add");
            Thread.sleep(300);
        }
        Tool t = mon.get(10, TimeUnit.SECONDS);
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().matches("(?s).*LKMD\\[.*\\] add /devices/platform/pcspkr \\(platform\\) seq \\d+, "
                + "[0-9.]+ ms: pcspkr dry_run.*"), t.out());
        assertTrue(t.out().contains("MODALIAS=platform:pcspkr"), t.out());
        assertTrue(t.out().contains("SYNTH_UUID=0"), t.out());
    }

    @Test
    void triggerSettleWaitsForItsOwnEventsOnly() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/sys/bus/virtio/devices")), "no virtio devices to trigger");
        // a slow event on another device: 4 s in a PROGRAM match
        long before = daemon.queue().stats().done();
        uevent(PCSPKR, "change " + UUID.randomUUID() + " SLOW=1");
        waitFor(() -> daemon.queue().stats().running() >= 1, Duration.ofSeconds(5));
        assertTrue(daemon.queue().stats().running() >= 1, "the slow event is not running");
        Tool trig = Tool.lkmd("trigger", "--root", r, "--subsystem", "virtio", "--settle", "--timeout", "30");
        assertEquals(0, trig.rc(), trig.err());
        // settled on its own events while the slow one still runs: it did not wait for it
        assertTrue(daemon.queue().stats().running() >= 1, "the slow event should still be running");
        long virtio = daemon.events().records().stream().filter(x -> "virtio".equals(x.subsystem())
                && x.synthUuid() != null && !x.synthUuid().equals("0")).count();
        assertTrue(virtio >= 1, "no triggered virtio event recorded");
        // plain settle waits for everything, the slow event included
        Tool s = Tool.lkmd("settle", "--root", r, "--timeout", "0.5");
        assertEquals(1, s.rc(), "settle should time out behind the slow event");
        assertEquals(0, Tool.lkmd("settle", "--root", r, "--timeout", "30").rc());
        assertTrue(daemon.queue().stats().done() > before);
    }

    @Test
    void testAndVerifyWorkWithoutADaemon() throws Exception {
        Tool t = Tool.lkmd("test", "--root", r, "--kernel-release", rel, "/sys" + PCSPKR);
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().contains("rule matched: /etc/lkmd/rules.d/80-lkmd-drivers.rules:11"), t.out());
        assertTrue(t.out().contains("kmod load platform:pcspkr -> pcspkr"), t.out());
        Tool v = Tool.lkmd("verify", "--root", r, "--kernel-release", rel);
        assertEquals(0, v.rc(), v.err() + v.out());
        Path bad = tmp.resolve("bad-root");
        Files.createDirectories(bad.resolve("etc/lkmd/rules.d"));
        Files.writeString(bad.resolve("etc/lkmd/lkmd.toml"), "[events]\nworkers = = 3\n");
        Tool b = Tool.lkmd("verify", "--root", bad.toString(), "--kernel-release", rel);
        assertEquals(1, b.rc());
        assertTrue(b.err().contains("etc/lkmd/lkmd.toml:2: invalid TOML"), b.err());
    }

    @Test
    void infoShowsTheDeviceItsRulesAndModulesWithoutADaemon() throws Exception {
        Tool t = Tool.lkmd("info", "--root", r, "--kernel-release", rel, PCSPKR);
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().startsWith("P: " + PCSPKR + "\nM: pcspkr\nU: platform\n"), t.out());
        assertTrue(t.out().contains("\nE: MODALIAS=platform:pcspkr\n\n"), t.out());
        assertTrue(t.out().contains("\nrule matched: /etc/lkmd/rules.d/80-lkmd-drivers.rules:11\n"), t.out());
        assertTrue(t.out().contains("\nkmod load platform:pcspkr -> pcspkr\n"), t.out());
        Tool w = Tool.lkmd("info", "--root", r, "-a", "/sys" + PCSPKR);
        assertEquals(0, w.rc(), w.err());
        assertTrue(w.out().contains("  looking at device '" + PCSPKR + "':\n    KERNEL==\"pcspkr\"\n"), w.out());
        Tool bad = Tool.lkmd("info", "--root", r, PCSPKR + "/nope");
        assertEquals(1, bad.rc());
        assertEquals("", bad.out());
        assertEquals("Unknown device \"" + PCSPKR + "/nope\": No such device\n", bad.err());
    }

    @Test
    void editsReloadLiveBrokenEditsKeepTheOldSnapshotAndExplainSaysWhy() throws Exception {
        Path extra = root.resolve("etc/lkmd/rules.d/50-extra.rules");
        Path blacklist = root.resolve("etc/modprobe.d/bl.conf");
        Path toml = root.resolve("etc/lkmd/lkmd.toml");
        try {
            Tool e1 = Tool.lkmd("explain", "--root", r, PCSPKR);
            assertEquals(0, e1.rc(), e1.err());
            assertTrue(e1.out().contains("rule matched: /etc/lkmd/rules.d/80-lkmd-drivers.rules:11"), e1.out());
            assertTrue(e1.out().contains("alias pattern platform:pcspkr -> pcspkr (" + root.resolve("lib/modules/" + rel)
                    + "/modules.alias:"), e1.out());
            assertTrue(e1.out().contains("module pcspkr (via platform:pcspkr)"), e1.out());
            assertTrue(e1.out().contains("verdict: would load"), e1.out());

            // a rule edit changes the next event without a restart
            long g = daemon.snapshot().generation();
            Files.writeString(extra, "ACTION==\"add\", KERNEL==\"pcspkr\", RUN{builtin}+=\"kmod load dummy\"\n");
            awaitGeneration(g + 1);
            assertEquals(EventRecord.Result.DRY_RUN, resultFor(addPcspkr(), "dummy"));

            // a modprobe.d edit too: blacklisted now, and explain says where
            Files.writeString(blacklist, "# test\nblacklist pcspkr\n");
            awaitGeneration(g + 2);
            assertEquals(EventRecord.Result.BLACKLISTED, resultFor(addPcspkr(), "pcspkr"));
            Tool e2 = Tool.lkmd("explain", "--root", r, "platform:pcspkr");
            assertTrue(e2.out().contains("why not: blacklisted at " + blacklist + ":2"), e2.out());
            assertTrue(e2.out().contains("pcspkr blacklisted"), "history: " + e2.out());

            // a broken edit: the old snapshot stays, status shows file:line
            long failed = daemon.reloadsFailed();
            Files.writeString(toml, "[events]\nworkers = = 3\n");
            waitFor(() -> daemon.reloadsFailed() > failed, Duration.ofSeconds(15));
            assertEquals(g + 2, daemon.snapshot().generation());
            Tool st = Tool.lkmd("status", "--root", r);
            assertTrue(st.out().contains(toml + ":2: invalid TOML"), st.out());
            assertEquals(EventRecord.Result.BLACKLISTED, resultFor(addPcspkr(), "pcspkr"));
            Tool rl = Tool.lkmd("reload", "--root", r);
            assertEquals(1, rl.rc());
            assertTrue(rl.err().contains(toml + ":2: invalid TOML"), rl.err());
        } finally {
            Files.deleteIfExists(extra);
            Files.deleteIfExists(blacklist);
            Files.writeString(toml, goodToml());
        }
        Tool ok = Tool.lkmd("reload", "--root", r);
        assertEquals(0, ok.rc(), ok.err());
        assertEquals(EventRecord.Result.DRY_RUN, resultFor(addPcspkr(), "pcspkr"));
    }

    @Test
    void nonRootClientsAreRefused() throws Exception {
        Path sock = root.resolve("run/lkmd/control");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        Path jar = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/lkmd.jar");
        assumeTrue(Files.exists(jar), "no lkmd.jar");
        Tool viaMode = Tool.exec(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "java", "-jar", jar.toString(), "status", "--root", r));
        assertEquals(1, viaMode.rc());
        assertTrue(viaMode.err().contains("Permission denied"), viaMode.err());
        // with the mode opened up, the peer credential check still refuses, whatever the command
        Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            for (String request : List.of("{\"v\":1,\"cmd\":\"status\"}", "{\"v\":1,\"cmd\":\"ping\"}",
                    "{\"v\":1,\"cmd\":\"set\",\"log_level\":\"debug\",\"children_max\":3}",
                    "{\"v\":1,\"cmd\":\"history\"}", "{\"v\":1,\"cmd\":\"exit\"}",
                    "{\"v\":1,\"cmd\":\"load\",\"name\":\"pcspkr\"}", "{\"v\":1,\"cmd\":\"reload\"}")) {
                Tool viaCred = Tool.exec(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/python3", "-c", "import socket,sys\n"
                                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\n"
                                + "s.connect(sys.argv[1])\n"
                                + "s.sendall(sys.argv[2].encode()+b'\\n')\n"
                                + "d=b''\n"
                                + "while True:\n"
                                + "  c=s.recv(4096)\n"
                                + "  if not c: break\n"
                                + "  d+=c\n"
                                + "print(d.decode())\n", sock.toString(), request));
                assertEquals(0, viaCred.rc(), viaCred.err());
                assertEquals("{\"v\":1,\"ok\":false,\"error\":\"permission denied: uid 65534 is not root\"}",
                        viaCred.out().strip(), request);
            }
            // nothing was done: the daemon answers root, with its knobs as they were
            Tool status = Tool.lkmd("status", "--root", r);
            assertEquals(0, status.rc(), status.err());
            assertFalse(status.out().contains("log level: debug") || status.out().contains("children max: 3 "),
                    status.out());
        } finally {
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void badRequestsGetAnErrorAndTheConnectionIsClosed() throws Exception {
        assertEquals("{\"v\":1,\"ok\":false,\"error\":\"malformed request: not JSON\"}\n",
                raw("this is not json\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(raw("[1,2]\n".getBytes(StandardCharsets.UTF_8)).contains("not a JSON object"));
        assertTrue(raw("{\"v\":2,\"cmd\":\"status\"}\n".getBytes(StandardCharsets.UTF_8))
                .contains("unsupported protocol version 2"));
        assertTrue(raw("{\"v\":1,\"cmd\":\"reboot\"}\n".getBytes(StandardCharsets.UTF_8))
                .contains("unknown command \\\"reboot\\\""));
        byte[] huge = new byte[ControlCodec.MAX_REQUEST * 2];
        java.util.Arrays.fill(huge, (byte) 'x');
        assertTrue(raw(huge).contains("request larger than " + ControlCodec.MAX_REQUEST + " bytes"));
        // two requests at once on one connection: the first is answered, then the refusal
        String two = raw(("{\"v\":1,\"cmd\":\"settle\",\"timeout_ms\":2000}\n{\"v\":1,\"cmd\":\"ping\"}\n")
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(two.contains("one request at a time"), two);
        // and the daemon still serves
        assertEquals(EventRecord.Result.DRY_RUN, resultFor(addPcspkr(), "pcspkr"));
    }

    @Test
    void floodOfClientsAndMidStreamDisconnectsAreCleanedUp() throws Exception {
        for (int round = 0; round < 2; round++) {
            List<ControlClient> open = new ArrayList<>();
            try {
                flood(open, round);
            } finally {
                // everyone hangs up mid-stream; the next round must find all 64 places free again
                for (ControlClient c : open) {
                    c.close();
                }
            }
            Thread.sleep(500);
        }
        Tool st = Tool.lkmd("status", "--root", r);
        assertEquals(0, st.rc(), st.err());
    }

    private static void flood(List<ControlClient> open, int round) throws Exception {
        {
            int refused = 0;
            for (int i = 0; i < 80; i++) {
                ControlClient c = ControlClient.connect(Root.of(root)).orElseThrow();
                JsonObject req = ControlCodec.request("monitor");
                JsonObject a = c.call(req, Duration.ofSeconds(10));
                if (a.get("ok").getAsBoolean()) {
                    open.add(c);
                } else {
                    assertTrue(ControlCodec.string(a, "error").startsWith("too many clients"), a.toString());
                    refused++;
                    c.close();
                }
            }
            assertEquals(64, open.size(), "round " + round);
            assertEquals(16, refused);
            // events keep flowing to every monitor while the socket is full
            EventRecord rec = addPcspkr();
            Optional<JsonObject> got = open.get(63).read(Duration.ofSeconds(10));
            while (got.isPresent() && got.get().getAsJsonObject("event").get("seq").getAsLong() != rec.seqnum()) {
                got = open.get(63).read(Duration.ofSeconds(10));
            }
            assertTrue(got.isPresent(), "monitor 64 did not get the event");
        }
    }
}
