package org.lkmd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.LogFields;
import org.slf4j.MDC;
import org.slf4j.event.KeyValuePair;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class JournalAppenderTest {
    private final LoggerContext ctx = new LoggerContext();
    private final Logger logger = ctx.getLogger("org.lkmd.daemon.EventHandler");

    JournalAppenderTest() {
        ctx.setMDCAdapter(MDC.getMDCAdapter());
        logger.setAdditive(false);
    }

    private JournalAppender attach(String socket, ByteArrayOutputStream err) {
        JournalAppender a = new JournalAppender(socket, new PrintStream(err, true));
        a.setContext(ctx);
        a.start();
        logger.addAppender(a);
        return a;
    }

    /** An event as the logger makes it: the MDC is read from the thread when the appender asks. */
    private LoggingEvent event(Level level, String msg, Object... args) {
        return new LoggingEvent(Logger.FQCN, logger, level, msg, null, args);
    }

    @Test
    void fieldsCarryTheMessagePriorityIdentifierAndTheJournalNamedEntries() {
        LoggingEvent e = event(Level.INFO, "Loaded module {} for {}", "e1000", "/devices/pci0000:00/0000:00:03.0");
        e.setMDCPropertyMap(Map.of(LogFields.DEVPATH, "/devices/pci0000:00/0000:00:03.0", LogFields.SEQNUM, "1234",
                "lowercase", "not a field", "_TRUSTED", "clients may not set these", "1ST", "nor these"));
        e.addKeyValuePair(new KeyValuePair(LogFields.MODULE, "e1000"));
        Map<String, String> f = JournalAppender.fields(e, "EventHandler: Loaded module e1000 for /devices/x");
        assertEquals("EventHandler: Loaded module e1000 for /devices/x", f.get("MESSAGE"));
        assertEquals("6", f.get("PRIORITY"));
        assertEquals("lkmd", f.get("SYSLOG_IDENTIFIER"));
        assertEquals("e1000", f.get("MODULE"));
        assertEquals("1234", f.get("SEQNUM"));
        assertEquals("/devices/pci0000:00/0000:00:03.0", f.get("DEVPATH"));
        assertFalse(f.containsKey("lowercase"));
        assertFalse(f.containsKey("_TRUSTED"));
        assertFalse(f.containsKey("1ST"));
    }

    @Test
    void prioritiesAreSyslogs() {
        assertEquals(3, JournalAppender.priority(Level.ERROR));
        assertEquals(4, JournalAppender.priority(Level.WARN));
        assertEquals(6, JournalAppender.priority(Level.INFO));
        assertEquals(7, JournalAppender.priority(Level.DEBUG));
        assertEquals(7, JournalAppender.priority(Level.TRACE));
    }

    @Test
    void aValueWithANewlineIsSentWithItsLength() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("MESSAGE", "a\nb");
        f.put("MODULE", "e1000");
        byte[] got = JournalAppender.encode(f);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes("MESSAGE\n".getBytes(StandardCharsets.US_ASCII));
        want.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(3).array());
        want.writeBytes("a\nb\nMODULE=e1000\n".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(want.toByteArray(), got);
        assertEquals(f, decode(got));
    }

    @Test
    void withoutTheJournalSocketTheRecordGoesToStderrWithItsPriority(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        JournalAppender a = attach(dir.resolve("no-socket").toString(), err);
        logger.warn("Failed to load module {}: {}", "e1000", "denied");
        a.stop();
        assertEquals("<4>EventHandler: Failed to load module e1000: denied\n", err.toString(StandardCharsets.UTF_8));
    }

    /** A real datagram socket bound by another process (journald's side of the protocol), read back. */
    @Test
    void aRecordReachesTheSocketAsOneDatagram(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 binds the receiving socket");
        Path sock = dir.resolve("socket");
        Process receiver = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "s.settimeout(60)",
                "print('ready', flush=True)",
                "print(s.recv(65536).hex(), flush=True)"), sock.toString()).redirectError(
                ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(receiver.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            JournalAppender a = attach(sock.toString(), err);
            MDC.put(LogFields.ORIGIN, LogFields.UEVENT);
            try {
                logger.atError().addKeyValue(LogFields.MODULE, "e1000").setCause(new IllegalStateException("x"))
                        .log("Failed to load module {}", "e1000");
            } finally {
                MDC.remove(LogFields.ORIGIN);
                a.stop();
            }
            String datagram = out.readLine();
            assertTrue(datagram != null && !datagram.isEmpty(), "nothing received; on stderr: " + err);
            Map<String, String> f = decode(HexFormat.of().parseHex(datagram));
            assertEquals(List.of("MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "ORIGIN", "MODULE"), List.copyOf(f.keySet()));
            assertTrue(f.get("MESSAGE").startsWith("EventHandler: Failed to load module e1000\n"
                    + "java.lang.IllegalStateException: x\n"), f.get("MESSAGE"));
            assertFalse(f.get("MESSAGE").endsWith("\n"));
            assertEquals("3", f.get("PRIORITY"));
            assertEquals("uevent", f.get("ORIGIN"));
            assertEquals("e1000", f.get("MODULE"));
            assertEquals("", err.toString(StandardCharsets.UTF_8));
        } finally {
            receiver.destroy();
            receiver.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** journald's reading of a native datagram. */
    private static Map<String, String> decode(byte[] d) {
        Map<String, String> f = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            int start = b.position();
            int i = start;
            while (d[i] != '=' && d[i] != '\n') {
                i++;
            }
            String name = new String(d, start, i - start, StandardCharsets.US_ASCII);
            if (d[i] == '=') {
                int end = i + 1;
                while (d[end] != '\n') {
                    end++;
                }
                f.put(name, new String(d, i + 1, end - i - 1, StandardCharsets.UTF_8));
                b.position(end + 1);
            } else {
                b.position(i + 1);
                int n = (int) b.getLong();
                f.put(name, new String(d, b.position(), n, StandardCharsets.UTF_8));
                b.position(b.position() + n);
                assertEquals('\n', b.get());
            }
        }
        return f;
    }
}
