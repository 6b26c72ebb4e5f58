package org.lkmd.it;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;
import org.lkmd.control.ControlClient;
import org.lkmd.control.ControlCodec;
import org.lkmd.eventlog.EventRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * {@code lkmd control} and {@code lkmd history} as an administrator runs them, against a daemon
 * in this JVM whose {@code /proc/cmdline} carries {@code lkmd.*} settings and whose events are
 * real uevents written to this machine's pcspkr. The last test stops the daemon with
 * {@code control --exit}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlVerbTest {
    static final String PCSPKR = "/devices/platform/pcspkr";

    @TempDir
    static Path tmp;
    static Path root;
    static String r;
    static SimulatingDaemon sim;
    /** The daemon sets this JVM's root log level; the later tests get it back. */
    static ch.qos.logback.classic.Level levelBefore;

    @BeforeAll
    static void start() throws Exception {
        levelBefore = rootLogger().getLevel();
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: writes to /sys uevent files");
        assumeTrue(Files.exists(Path.of("/sys" + PCSPKR + "/uevent")), "no pcspkr device");
        String rel = RealTree.release();
        root = FakeRoots.ownConfig(tmp.resolve("root"),
                "quiet lkmd.children_max=3 lkmd.log-level=warning lkmd.bogus=1\n");
        Path rules = FakeRoots.withSysAndShippedRules(root);
        // a change on pcspkr asks for dummy, which lkmd's own modprobe.d denies
        Files.writeString(rules.resolve("10-dummy.rules"),
                "ACTION==\"change\", KERNEL==\"pcspkr\", RUN{builtin}+=\"kmod load dummy\"\n");
        Files.createDirectories(root.resolve("etc/lkmd/modprobe.d"));
        Files.writeString(root.resolve("etc/lkmd/modprobe.d/deny.conf"), "deny dummy\n");
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[events]\nworkers = 4\n[reload]\nwatch = false\n");
        r = root.toString();
        sim = SimulatingDaemon.over(root).release(rel).start();
        sim.controlSocket();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (sim != null) {
            sim.close();
        }
        rootLogger().setLevel(levelBefore);
    }

    static ch.qos.logback.classic.Logger rootLogger() {
        return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    static JsonObject status() throws Exception {
        Tool t = Tool.lkmd("status", "--json", "--root", r);
        assertEquals(0, t.rc(), t.err());
        return ControlCodec.parseResponse(t.out().strip());
    }

    /** Writes {@code action UUID} to pcspkr's uevent file and waits for the daemon's record of it. */
    static EventRecord uevent(String action) throws Exception {
        String uuid = UUID.randomUUID().toString();
        Files.writeString(Path.of("/sys" + PCSPKR + "/uevent"), action + " " + uuid);
        waitFor(() -> sim.records().stream().anyMatch(x -> uuid.equals(x.synthUuid())), Duration.ofSeconds(20));
        return sim.records().stream().filter(x -> uuid.equals(x.synthUuid())).findFirst()
                .orElseThrow(() -> new AssertionError("event " + uuid + " not handled"));
    }

    @Test
    @Order(1)
    void theKernelCommandLineSetsTheKnobsAndControlChangesThemLive() throws Exception {
        JsonObject s = status();
        assertEquals(3, s.getAsJsonObject("queue").get("workers").getAsInt(), s.toString());
        assertEquals("kernel command line", s.get("children_max_source").getAsString());
        assertEquals("warn", s.get("log_level").getAsString());
        assertEquals("kernel command line", s.get("log_level_source").getAsString());

        Tool none = Tool.lkmd("control", "--root", r);
        assertEquals(1, none.rc());
        assertTrue(none.err().contains("expects one or more options"), none.err());
        Tool badLevel = Tool.lkmd("control", "--root", r, "--log-level", "loud", "--children-max", "5");
        assertEquals(1, badLevel.rc());
        assertTrue(badLevel.err().contains("invalid log level 'loud'"), badLevel.err());
        Tool badMax = Tool.lkmd("control", "--root", r, "-m", "0");
        assertEquals(1, badMax.rc());
        assertTrue(badMax.err().contains("invalid children max '0'"), badMax.err());
        Tool badTimeout = Tool.lkmd("control", "--root", r, "--ping", "-t", "soon");
        assertEquals(1, badTimeout.rc());
        assertTrue(badTimeout.err().contains("invalid timeout 'soon'"), badTimeout.err());
        // the daemon refuses what the verb would have caught, and changes nothing: all or nothing
        try (ControlClient c = ControlClient.connect(Root.of(root)).orElseThrow()) {
            JsonObject req = ControlCodec.request("set");
            req.addProperty("log_level", "debug");
            req.addProperty("children_max", 99_999);
            JsonObject a = c.call(req, Duration.ofSeconds(10));
            assertFalse(a.get("ok").getAsBoolean(), a.toString());
            assertTrue(ControlCodec.string(a, "error").contains("invalid children max 99999"), a.toString());
        }
        s = status();
        assertEquals(3, s.getAsJsonObject("queue").get("workers").getAsInt());
        assertEquals("warn", s.get("log_level").getAsString());

        Tool set = Tool.lkmd("control", "--root", r, "-l", "debug", "-m", "5", "--ping", "--reload");
        assertEquals(0, set.rc(), set.err());
        s = status();
        assertEquals(5, s.getAsJsonObject("queue").get("workers").getAsInt());
        assertEquals("lkmd control", s.get("children_max_source").getAsString());
        assertEquals("debug", s.get("log_level").getAsString());
        assertEquals("lkmd control", s.get("log_level_source").getAsString());
        Tool text = Tool.lkmd("status", "--root", r);
        assertTrue(text.out().contains("log level: debug (lkmd control); children max: 5 (lkmd control)"), text.out());
        assertTrue(text.out().contains("running: "), text.out());
        // and the daemon goes on handling events
        assertEquals(EventRecord.Result.DRY_RUN, uevent("add").outcomes().get(0).result());
    }

    @Test
    @Order(2)
    void historyFiltersByTimeModuleAndFailure() throws Exception {
        Instant before = Instant.now();
        EventRecord add = uevent("add");
        EventRecord change = uevent("change");
        assertTrue(change.outcomes().stream().anyMatch(o -> o.result() == EventRecord.Result.DENIED), change.toString());

        Tool all = Tool.lkmd("history", "--root", r, "--since", "@" + before.getEpochSecond());
        assertEquals(0, all.rc(), all.err());
        assertTrue(all.out().contains("seq " + add.seqnum()), all.out());
        assertTrue(all.out().contains("seq " + change.seqnum()), all.out());

        Tool failed = Tool.lkmd("history", "--root", r, "--failed", "--since", "-5min");
        assertEquals(0, failed.rc(), failed.err());
        assertTrue(failed.out().contains("seq " + change.seqnum()), failed.out());
        assertFalse(failed.out().contains("seq " + add.seqnum()), failed.out());

        Tool pcspkr = Tool.lkmd("history", "--root", r, "--module", "pcspkr", "--since", "1 min ago", "--json");
        assertEquals(0, pcspkr.rc(), pcspkr.err());
        List<String> lines = pcspkr.out().lines().toList();
        assertFalse(lines.isEmpty());
        for (String l : lines) {
            JsonObject o = ControlCodec.parseResponse(l);
            assertTrue(o.toString().contains("\"pcspkr\""), l);
            assertFalse(o.get("seq").getAsLong() == change.seqnum(), l);
        }
        assertTrue(pcspkr.out().contains("\"seq\":" + add.seqnum()), pcspkr.out());

        Tool future = Tool.lkmd("history", "--root", r, "--since", "@" + (Instant.now().getEpochSecond() + 3600));
        assertEquals(0, future.rc(), future.err());
        assertEquals("", future.out());
        Tool bad = Tool.lkmd("history", "--root", r, "--since", "last tuesday-ish");
        assertEquals(1, bad.rc());
        assertTrue(bad.err().contains("invalid --since 'last tuesday-ish'"), bad.err());
    }

    @Test
    @Order(3)
    void exitStopsTheDaemonAndTheNextVerbSaysNoDaemonRuns() throws Exception {
        Tool exit = Tool.lkmd("control", "--root", r, "--exit");
        assertEquals(0, exit.rc(), exit.err());
        assertEquals(0, sim.awaitExit(Duration.ofSeconds(60)));
        assertFalse(Files.exists(root.resolve("run/lkmd/control")), "the control socket is left behind");
        Tool ping = Tool.lkmd("control", "--root", r, "--ping");
        assertEquals(1, ping.rc());
        assertTrue(ping.err().contains("no daemon is running"), ping.err());
        Tool history = Tool.lkmd("history", "--root", r);
        assertEquals(1, history.rc());
    }
}
