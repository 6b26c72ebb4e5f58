package org.lkmd.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SdNotifyTest {

    @Test
    void withoutNotifySocketNothingHappens() {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of())) {
            assertFalse(n.enabled());
            n.send("READY=1");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void statesArriveAtTheNotifySocketAsDatagrams(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("notify");
        // a real Unix datagram receiver, as systemd's: socat would do; python3 is on every machine here
        Process receiver = new ProcessBuilder("python3", "-c",
                "import socket,sys\n"
                        + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
                        + "s.bind(sys.argv[1]);s.settimeout(10);print('bound',flush=True)\n"
                        + "for _ in range(2):\n  print(s.recv(4096).decode().replace('\\n','|'),flush=True)\n",
                sock.toString()).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(receiver.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("bound", out.readLine());
            try (SdNotify n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", sock.toString()))) {
                assertTrue(n.enabled());
                n.send("READY=1\nSTATUS=Processing events");
                n.send("STOPPING=1");
            }
            assertEquals("READY=1|STATUS=Processing events", out.readLine());
            assertEquals("STOPPING=1", out.readLine());
            assertTrue(receiver.waitFor(10, TimeUnit.SECONDS));
        } finally {
            receiver.destroyForcibly();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void anAbstractNamespaceAddressIsReachedToo() throws Exception {
        String name = "lkmd-notify-test-" + ProcessHandle.current().pid();
        Process receiver = new ProcessBuilder("python3", "-c",
                "import socket,sys\n"
                        + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
                        + "s.bind('\\0'+sys.argv[1]);s.settimeout(10);print('bound',flush=True)\n"
                        + "print(s.recv(4096).decode(),flush=True)\n",
                name).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(receiver.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("bound", out.readLine());
            try (SdNotify n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "@" + name))) {
                assertTrue(n.enabled());
                n.send("READY=1");
            }
            assertEquals("READY=1", out.readLine());
        } finally {
            receiver.destroyForcibly();
        }
    }

    @Test
    void aMissingReceiverOrABadAddressIsIgnored(@TempDir Path dir) {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("nobody").toString()))) {
            assertTrue(n.enabled());
            n.send("READY=1"); // ENOENT: logged, not thrown
        }
        try (SdNotify n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/" + "x".repeat(200)))) {
            assertFalse(n.enabled()); // longer than a sockaddr_un holds
            n.send("READY=1");
        }
    }

    @Test
    void watchdogIsHalfTheIntervalAndOnlyForThisProcess() {
        assertEquals(Duration.ofSeconds(15), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000")));
        assertEquals(null, SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "1")));
    }
}
