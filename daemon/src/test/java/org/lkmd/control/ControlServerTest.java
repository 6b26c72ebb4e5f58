package org.lkmd.control;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The server over a real socket with a scripted service (the daemon's own is tested in the tests module). */
class ControlServerTest {
    @TempDir
    Path dir;
    Root root;
    ControlServer server;
    final AtomicBoolean idle = new AtomicBoolean(true);
    final AtomicInteger reloads = new AtomicInteger();
    final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletionStage<?>> lastSent =
            new java.util.concurrent.atomic.AtomicReference<>();
    final java.util.concurrent.atomic.AtomicBoolean sentAtLoad = new java.util.concurrent.atomic.AtomicBoolean(true);
    final List<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();

    final ControlService service = new ControlService() {
        @Override
        public JsonObject status() {
            JsonObject o = new JsonObject();
            o.addProperty("events", 42);
            return o;
        }

        @Override
        public JsonObject reload() {
            JsonObject o = new JsonObject();
            o.addProperty("reloaded", true);
            o.addProperty("generation", reloads.incrementAndGet() + 1);
            o.add("problems", ControlCodec.strings(List.of()));
            return o;
        }

        @Override
        public boolean idle() {
            return idle.get();
        }

        @Override
        public int[] depth() {
            return new int[] {idle.get() ? 0 : 1, 0};
        }

        @Override
        public java.util.concurrent.CompletableFuture<com.google.gson.JsonObject> load(String name, boolean commandLine,
                java.util.concurrent.CompletionStage<?> sent) {
            sentAtLoad.set(sent.toCompletableFuture().isDone());
            lastSent.set(sent);
            com.google.gson.JsonObject o = ControlCodec.ok();
            o.addProperty("rc", name.equals("missing") ? 1 : 0);
            o.add("messages", ControlCodec.strings(List.of("loaded " + name)));
            return java.util.concurrent.CompletableFuture.completedFuture(o);
        }

        @Override
        public List<String> explain(String target) {
            return List.of("explained " + target);
        }

        @Override
        public AutoCloseable subscribe(Consumer<JsonObject> listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    };

    @BeforeEach
    void start() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "the peer check admits root only");
        root = Root.of(dir);
        server = ControlServer.start(root.resolve(ControlCodec.SOCKET), service,
                new ControlServer.Limits(3, Duration.ofMillis(400), 1024));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ControlClient client() throws IOException {
        return ControlClient.connect(root).orElseThrow();
    }

    /** An event as the daemon hands it to the monitor stream (the daemon's encoding is tested with it). */
    static JsonObject event(String subsystem, String uuid) {
        JsonObject o = new JsonObject();
        o.addProperty("seq", 7);
        o.addProperty("action", "add");
        o.addProperty("devpath", "/devices/x");
        o.addProperty("subsystem", subsystem);
        o.addProperty("latency_us", 2000);
        o.add("rules", ControlCodec.strings(List.of("/etc/lkmd/rules.d/80.rules:11")));
        JsonObject props = new JsonObject();
        if (uuid != null) {
            props.addProperty("SYNTH_UUID", uuid);
        }
        o.add("properties", props);
        return o;
    }

    @Test
    void socketIsPrivateAndAnswersRequestsInTurn() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.path())));
        try (ControlClient c = client()) {
            assertEquals(42, ControlClient.check(c.call(ControlCodec.request("status"), Duration.ofSeconds(5)))
                    .get("events").getAsInt());
            JsonObject ex = ControlCodec.request("explain");
            ex.addProperty("target", "platform:x");
            assertEquals("explained platform:x", c.call(ex, Duration.ofSeconds(5)).getAsJsonArray("text").get(0).getAsString());
            assertTrue(c.call(ControlCodec.request("reload"), Duration.ofSeconds(5)).get("reloaded").getAsBoolean());
        }
    }

    @Test
    void aLoadIsAnsweredAndTheServiceToldWhenTheAnswerIsWritten() throws Exception {
        try (ControlClient c = client()) {
            JsonObject req = ControlCodec.request("load");
            req.addProperty("name", "fuse");
            req.addProperty("origin", "kernel");
            JsonObject a = c.call(req, Duration.ofSeconds(5));
            assertEquals(0, a.get("rc").getAsInt(), a.toString());
            assertFalse(sentAtLoad.get(), "'sent' was complete before the answer existed");
            // the client has the answer: the write is done
            lastSent.get().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void settleAnswersWhenTheQueueEmptiesOrTimesOut() throws Exception {
        idle.set(false);
        try (ControlClient c = client()) {
            JsonObject req = ControlCodec.request("settle");
            req.addProperty("timeout_ms", 200);
            JsonObject a = c.call(req, Duration.ofSeconds(5));
            assertFalse(a.get("settled").getAsBoolean());
            assertEquals(1, a.get("queued").getAsInt());
            req.addProperty("timeout_ms", 10_000);
            c.send(req);
            assertEquals(Optional.empty(), c.read(Duration.ofMillis(300)));
            idle.set(true);
            assertTrue(c.read(Duration.ofSeconds(5)).orElseThrow().get("settled").getAsBoolean());
        }
    }

    @Test
    void monitorFiltersBySubsystemAndUuidAndEndsWithTheClient() throws Exception {
        try (ControlClient c = client()) {
            JsonObject req = ControlCodec.request("monitor");
            req.addProperty("uuid", "u-1");
            assertTrue(c.call(req, Duration.ofSeconds(5)).get("monitoring").getAsBoolean());
            assertEquals(1, listeners.size());
            listeners.forEach(l -> l.accept(event("pci", "u-2")));
            listeners.forEach(l -> l.accept(event("pci", "u-1")));
            JsonObject ev = c.read(Duration.ofSeconds(5)).orElseThrow().getAsJsonObject("event");
            assertEquals("u-1", ev.getAsJsonObject("properties").get("SYNTH_UUID").getAsString());
            assertEquals(2000, ev.get("latency_us").getAsLong());
            assertEquals(Optional.empty(), c.read(Duration.ofMillis(200)));
        }
        long end = System.nanoTime() + 5_000_000_000L;
        while (!listeners.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(listeners.isEmpty(), "a closed monitor must unsubscribe");
    }

    @Test
    void idleClientsAreClosedButMonitorsAreNot() throws Exception {
        try (ControlClient quiet = client(); ControlClient mon = client()) {
            ControlClient.check(mon.call(ControlCodec.request("monitor"), Duration.ofSeconds(5)));
            JsonObject a = quiet.read(Duration.ofSeconds(5)).orElseThrow();
            assertTrue(ControlCodec.string(a, "error").startsWith("idle for"), a.toString());
            assertThrows(IOException.class, () -> quiet.read(Duration.ofSeconds(5)));
            Thread.sleep(600);
            listeners.forEach(l -> l.accept(event("pci", null)));
            assertTrue(mon.read(Duration.ofSeconds(5)).orElseThrow().has("event"));
        }
    }

    @Test
    void clientsBeyondTheBoundAndOversizedRequestsAreRefused() throws Exception {
        try (ControlClient a = client(); ControlClient b = client(); ControlClient c = client();
             ControlClient d = client()) {
            JsonObject ping = ControlCodec.request("ping");
            assertTrue(a.call(ping, Duration.ofSeconds(5)).get("ok").getAsBoolean());
            assertTrue(b.call(ping, Duration.ofSeconds(5)).get("ok").getAsBoolean());
            assertTrue(c.call(ping, Duration.ofSeconds(5)).get("ok").getAsBoolean());
            assertEquals("too many clients (at most 3)", ControlCodec.string(d.call(ping, Duration.ofSeconds(5)), "error"));
            JsonObject big = ControlCodec.request("explain");
            big.addProperty("target", "x".repeat(2000));
            assertEquals("request larger than 1024 bytes", ControlCodec.string(a.call(big, Duration.ofSeconds(5)), "error"));
        }
    }
}
