package org.lkmd.daemon;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.lkmd.base.Diagnostic;
import org.lkmd.control.ControlCodec;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Errno;
import org.lkmd.loader.FailureCache;
import org.lkmd.uevent.DropReason;
import org.lkmd.uevent.EventQueue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's side of the control socket: the status record and the event records as JSON. */
class DaemonControlTest {

    static EventRecord failed(long seq, String devpath, String module) {
        return new EventRecord(seq, "add", devpath, "pci", "pci:v1", Instant.EPOCH, Duration.ofMillis(1), List.of(),
                List.of(new EventRecord.Outcome(module, "pci:v1", EventRecord.Result.FAILED, Errno.ENOENT, "gone")));
    }

    static DaemonStatus status(OptionalLong received, List<String> lastErrors) {
        Instant started = Instant.parse("2026-01-01T00:00:00Z");
        return new DaemonStatus(42, started, started.plusSeconds(90), true, "6.1.0-test",
                3, started.plusSeconds(5), 7, Map.of("/etc/lkmd/lkmd.toml", started),
                List.of(Diagnostic.warning("/etc/lkmd/rules.d/80.rules", 4, "unknown key")),
                new EventQueue.Stats(1, 2, 30, 0, 0, 1, 0, 0), 4,
                31, Map.of(EventRecord.Result.LOADED, 30L), Map.of("ENOENT", 1L),
                Map.of(DropReason.OVERSIZE, 2L), 1, received, 33, 1, 12, lastErrors,
                List.of(), 0, false, 0, List.of(new FailureCache.Entry(
                        new FailureCache.Key("amd64_edac", Path.of("/lib/modules/6.1.0-test/amd64_edac.ko"), null),
                        new FailureCache.FileId(true, 10, 20, null), Errno.ENODEV,
                        "could not insert 'amd64_edac': No such device", started.plusSeconds(6), started.plusSeconds(80), 15)),
                List.of(new InitramfsDrift.Finding("snd_pcsp", InitramfsDrift.Kind.OPTIONS, "/etc/modprobe.d/a.conf:1",
                        "module snd_pcsp was loaded before lkmd started with other parameters")));
    }

    @Test
    void statusAnswerCarriesTheRecordsFields() {
        JsonObject o = DaemonControl.json(status(OptionalLong.of(35), List.of("seq 9 /devices/x: m failed ENOENT (gone)")));
        assertEquals(42, o.get("pid").getAsLong());
        assertEquals("2026-01-01T00:00:00Z", o.get("started").getAsString());
        assertEquals(90, o.get("uptime_s").getAsLong());
        assertEquals("6.1.0-test", o.get("release").getAsString());
        JsonObject snap = o.getAsJsonObject("snapshot");
        assertEquals(3, snap.get("generation").getAsLong());
        assertEquals(7, snap.get("rules").getAsInt());
        assertEquals("2026-01-01T00:00:00Z", snap.getAsJsonObject("sources").get("/etc/lkmd/lkmd.toml").getAsString());
        assertEquals(1, snap.getAsJsonArray("diagnostics").size());
        JsonObject q = o.getAsJsonObject("queue");
        assertEquals(1, q.get("queued").getAsInt());
        assertEquals(2, q.get("running").getAsInt());
        assertEquals(4, q.get("workers").getAsInt());
        assertEquals(30, o.getAsJsonObject("outcomes").get("LOADED").getAsLong());
        assertEquals(1, o.getAsJsonObject("failures_by_errno").get("ENOENT").getAsLong());
        assertEquals(2, o.getAsJsonObject("drops").get("OVERSIZE").getAsLong());
        assertEquals(35, o.get("received").getAsLong());
        assertEquals(33, o.get("delivered").getAsLong());
        assertEquals(12, o.get("resynced_devices").getAsLong());
        assertEquals("seq 9 /devices/x: m failed ENOENT (gone)", o.getAsJsonArray("last_errors").get(0).getAsString());
        assertFalse(o.getAsJsonObject("autoclean").get("enabled").getAsBoolean());
        JsonObject drift = o.getAsJsonArray("initramfs_drift").get(0).getAsJsonObject();
        assertEquals("snd_pcsp", drift.get("module").getAsString());
        assertEquals("options", drift.get("kind").getAsString());
        assertEquals("/etc/modprobe.d/a.conf:1", drift.get("where").getAsString());
        JsonObject cached = o.getAsJsonArray("failure_cache").get(0).getAsJsonObject();
        assertEquals("amd64_edac", cached.get("module").getAsString());
        assertEquals("/lib/modules/6.1.0-test/amd64_edac.ko", cached.get("path").getAsString());
        assertEquals("", cached.get("options").getAsString());
        assertEquals("ENODEV", cached.get("errno").getAsString());
        assertEquals("could not insert 'amd64_edac': No such device", cached.get("message").getAsString());
        assertEquals("2026-01-01T00:00:06Z", cached.get("first").getAsString());
        assertEquals("2026-01-01T00:01:20Z", cached.get("last").getAsString());
        assertEquals(15, cached.get("answered").getAsLong());
        // kmod's quotes go on the wire as they are (the C helper reads only \" \\ \n \t escapes)
        assertTrue(ControlCodec.line(o).contains("'amd64_edac'"));
        // a source other than netlink counts no datagrams: the field is left out
        assertFalse(DaemonControl.json(status(OptionalLong.empty(), List.of())).has("received"));
    }

    @Test
    void statusRecordIsImmutable() {
        List<String> errors = new ArrayList<>(List.of("a"));
        DaemonStatus s = status(OptionalLong.empty(), errors);
        errors.add("b");
        assertEquals(List.of("a"), s.lastErrors());
        assertThrows(UnsupportedOperationException.class, () -> s.sources().clear());
    }

    @Test
    void lastErrorsAreTheNewestFailuresNewestFirstAtMostTen() {
        List<EventRecord> records = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            records.add(failed(i, "/devices/d" + i, "m" + i));
        }
        List<String> last = DaemonStatus.lastErrors(records);
        assertEquals(DaemonStatus.LAST_ERRORS, last.size());
        assertEquals("seq 12 /devices/d12: m12 failed ENOENT (gone)", last.get(0));
        assertEquals("seq 3 /devices/d3: m3 failed ENOENT (gone)", last.get(9));
    }

    @Test
    void monitorEventCarriesLatencyPropertiesAndOutcomes() {
        EventRecord r = new EventRecord(7, "add", "/devices/x", "pci", null, Instant.EPOCH, Duration.ofMillis(2),
                List.of("/etc/lkmd/rules.d/80.rules:11"), List.of(failed(7, "/devices/x", "m").outcomes().get(0)),
                Map.of("SYNTH_UUID", "u-1"));
        JsonObject ev = EventJson.of(r);
        assertEquals(7, ev.get("seq").getAsLong());
        assertEquals("pci", ev.get("subsystem").getAsString());
        assertEquals(2000, ev.get("latency_us").getAsLong());
        assertEquals("u-1", ev.getAsJsonObject("properties").get("SYNTH_UUID").getAsString());
        assertEquals("/etc/lkmd/rules.d/80.rules:11", ev.getAsJsonArray("rules").get(0).getAsString());
        JsonObject out = ev.getAsJsonArray("outcomes").get(0).getAsJsonObject();
        assertEquals("FAILED", out.get("result").getAsString());
        assertEquals("ENOENT", out.get("errno").getAsString());
    }
}
