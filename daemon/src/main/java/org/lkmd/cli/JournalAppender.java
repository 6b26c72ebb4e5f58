package org.lkmd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.Layout;
import org.lkmd.uevent.UnixDatagramSender;
import org.slf4j.event.KeyValuePair;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes each record to the systemd journal through its native protocol (one datagram to
 * {@code /run/systemd/journal/socket}, as {@code sd_journal_send()} does), so that the record keeps
 * its structured fields: {@code MESSAGE}, {@code PRIORITY}, {@code SYSLOG_IDENTIFIER} and every MDC
 * or key-value entry whose key is a journal field name ({@code MODULE}, {@code DEVPATH},
 * {@code SEQNUM}, {@code ORIGIN}: see {@code base.LogFields}). {@code journalctl -u lkmd MODULE=e1000}
 * then finds a module's lines. Used only when stderr is the journal; a record the socket does not
 * take (journald restarting, a record larger than a datagram) goes to stderr as a
 * {@code <N>}-prefixed line, as it would without this appender: nothing is lost.
 */
final class JournalAppender extends AppenderBase<ILoggingEvent> {
    static final String SOCKET = "/run/systemd/journal/socket";
    static final String IDENTIFIER = "lkmd";
    /**
     * journald's rule for a field a client may set: upper case, digits and underscore, at most 64,
     * starting with neither a digit nor an underscore (those fields are journald's own).
     */
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

    private final String socketPath;
    private final PrintStream fallback;
    private UnixDatagramSender socket;
    private Layout<ILoggingEvent> message;

    JournalAppender(String socketPath, PrintStream fallback) {
        this.socketPath = socketPath;
        this.fallback = fallback;
    }

    @Override
    public void start() {
        LineLayout layout = new LineLayout(false);
        layout.setContext(getContext());
        layout.start();
        message = layout;
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }

    @Override
    protected void append(ILoggingEvent event) { // AppenderBase.doAppend holds the lock
        String text = stripEnd(message.doLayout(event));
        byte[] datagram = encode(fields(event, text));
        try {
            if (socket == null) {
                socket = UnixDatagramSender.open(socketPath);
            }
            socket.send(datagram);
        } catch (IOException e) {
            String prefix = "<" + priority(event.getLevel()) + ">";
            text.lines().forEach(l -> fallback.print(prefix + l + "\n"));
            fallback.flush();
        }
    }

    /** The record's journal fields, in the order they are sent. */
    static Map<String, String> fields(ILoggingEvent event, String text) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("MESSAGE", text);
        f.put("PRIORITY", Integer.toString(priority(event.getLevel())));
        f.put("SYSLOG_IDENTIFIER", IDENTIFIER);
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            mdc.forEach((k, v) -> putField(f, k, v));
        }
        if (event.getKeyValuePairs() != null) {
            for (KeyValuePair kv : event.getKeyValuePairs()) {
                putField(f, kv.key, kv.value == null ? null : kv.value.toString());
            }
        }
        return f;
    }

    private static void putField(Map<String, String> f, String key, String value) {
        if (key != null && value != null && FIELD_NAME.matcher(key).matches() && !f.containsKey(key)) {
            f.put(key, value);
        }
    }

    /** syslog's priority for a level: 3 error, 4 warning, 6 info, 7 debug and trace. */
    static int priority(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> 3;
            case Level.WARN_INT -> 4;
            case Level.INFO_INT -> 6;
            default -> 7;
        };
    }

    /**
     * The native protocol: {@code NAME=value\n} per field, or, for a value with a newline,
     * {@code NAME\n}, the value's length as a 64-bit little-endian number, the value and {@code \n}.
     */
    static byte[] encode(Map<String, String> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        fields.forEach((name, value) -> {
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(n);
            if (value.indexOf('\n') < 0) {
                out.write('=');
                out.writeBytes(v);
            } else {
                out.write('\n');
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v.length).array());
                out.writeBytes(v);
            }
            out.write('\n');
        });
        return out.toByteArray();
    }

    private static String stripEnd(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }
}
