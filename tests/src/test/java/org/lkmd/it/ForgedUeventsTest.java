package org.lkmd.it;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.uevent.DropReason;
import org.lkmd.uevent.NetlinkUeventSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * Forged uevents from userspace (tests/bench/forge-uevents.py): well-formed kernel-format datagrams
 * naming real devices with their real MODALIAS, unicast to the daemon's port id and multicast to
 * group 1. From root the kernel delivers them and the daemon must drop every one as FORGED_SENDER and
 * plan nothing; from an unprivileged uid the kernel itself refuses to send (EPERM).
 * tests/bench/forgery.sh gives the figures for a larger N.
 */
class ForgedUeventsTest {
    static final int N = 500;

    @TempDir
    Path tmp;

    private static Tool forge(List<String> prefix, int n, int port) throws Exception {
        String script = Files.readString(Path.of(System.getProperty("lkmd.repo", ".."), "tests/bench/forge-uevents.py"));
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of("/usr/bin/python3", "-c", script, Integer.toString(n), Integer.toString(port)));
        return Tool.exec(cmd);
    }

    @Test
    void forgedUeventsWithRealModaliasesLoadNothingAndAreCountedAsForged() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: sends to netlink group 1");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3");
        try (SimulatingDaemon d = SimulatingDaemon.start(tmp.resolve("root"), "")) {
            NetlinkUeventSource src = (NetlinkUeventSource) d.daemon.source();
            long before = src.drops().get(DropReason.FORGED_SENDER);

            Tool root = forge(List.of(), N, src.portId());
            assertEquals(0, root.rc(), root.err());
            JsonObject r = new com.google.gson.Gson().fromJson(root.out(), JsonObject.class).getAsJsonObject();
            assertEquals(N, r.getAsJsonObject("sent").get("unicast").getAsInt(), root.out());
            assertEquals(N, r.getAsJsonObject("sent").get("multicast").getAsInt(), root.out());

            // unprivileged: the kernel refuses both sends (kobject-uevent sockets allow non-root receive only)
            Tool nobody = forge(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), 20, src.portId());
            assertEquals(0, nobody.rc(), nobody.err());
            JsonObject u = new com.google.gson.Gson().fromJson(nobody.out(), JsonObject.class).getAsJsonObject();
            assertEquals(0, u.getAsJsonObject("sent").get("unicast").getAsInt() + u.getAsJsonObject("sent").get("multicast").getAsInt(),
                    nobody.out());
            assertEquals(20, u.getAsJsonObject("errors").get("unicast EPERM").getAsInt(), nobody.out());
            assertEquals(20, u.getAsJsonObject("errors").get("multicast EPERM").getAsInt(), nobody.out());

            // a real event afterwards: once it is handled, every forgery before it has been read
            assumeTrue(Files.exists(Path.of("/sys/devices/platform/pcspkr/uevent")), "no pcspkr device");
            String tag = java.util.UUID.randomUUID().toString();
            Files.writeString(Path.of("/sys/devices/platform/pcspkr/uevent"), "change " + tag);
            waitFor(() -> d.records().stream().anyMatch(x -> tag.equals(x.synthUuid())),
                    Duration.ofSeconds(60));
            assertTrue(d.records().stream().anyMatch(x -> tag.equals(x.synthUuid())), "the real event was not handled");

            long forged = src.drops().get(DropReason.FORGED_SENDER) - before;
            // others on this machine may multicast forgeries too: at least ours, all of ours
            assertTrue(forged >= 2L * N, "FORGED_SENDER drops " + forged + ", sent " + 2 * N);
            List<EventRecord> handled = d.records().stream()
                    .filter(x -> x.properties().containsKey("LKMD_FORGED") || x.seqnum() >= 9_000_000_000L).toList();
            assertEquals(List.of(), handled);
            System.out.println("forged uevents: " + 2 * N + " sent as root (" + N + " unicast to port " + src.portId()
                    + ", " + N + " to group 1) -> " + forged + " dropped FORGED_SENDER, 0 handled, 0 loads; as uid 65534: "
                    + u.get("errors") + " (kernel refuses)");
        }
    }
}
