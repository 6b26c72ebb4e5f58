package org.lkmd.control;

import com.google.gson.JsonObject;
import org.lkmd.base.Root;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The verbs' side of {@link ControlCodec}'s protocol, on a plain JDK Unix socket (no event loop
 * to start: the verbs are short-lived). Not thread-safe; one per connection.
 */
public final class ControlClient implements AutoCloseable {
    /** Longest line accepted from the daemon (a status or explain answer). */
    static final int MAX_LINE = 16 << 20;

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(64 << 10);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private ControlClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** Connects to the daemon under {@code root}; empty when no daemon listens there. */
    public static Optional<ControlClient> connect(Root root) throws IOException {
        Path p = root.resolve(ControlCodec.SOCKET);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(p));
        } catch (java.net.ConnectException e) {
            ch.close();
            return Optional.empty(); // a socket file left behind by a daemon that is gone
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return Optional.of(new ControlClient(ch));
    }

    /** Sends a request and waits for its answer. */
    public JsonObject call(JsonObject request, Duration timeout) throws IOException {
        try {
            send(request);
        } catch (IOException e) {
            // a refused peer is told why and closed before it could write: read the reason
            return read(Duration.ofSeconds(1)).orElseThrow(() -> e);
        }
        return read(timeout).orElseThrow(() -> new IOException("no answer from the daemon within "
                + timeout.toSeconds() + " s"));
    }

    public void send(JsonObject request) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(ControlCodec.line(request).getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            if (channel.write(b) == 0) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * The next line from the daemon; empty on timeout.
     *
     * @throws IOException when the daemon closed the connection or sent something unreadable
     */
    public Optional<JsonObject> read(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            byte[] buf = pending.toByteArray();
            for (int i = 0; i < buf.length; i++) {
                if (buf[i] == '\n') {
                    String line = new String(buf, 0, i, StandardCharsets.UTF_8);
                    pending.reset();
                    pending.write(buf, i + 1, buf.length - i - 1);
                    try {
                        return Optional.of(ControlCodec.parseResponse(line));
                    } catch (ControlCodec.BadRequest e) {
                        throw new IOException(e.getMessage());
                    }
                }
            }
            if (buf.length > MAX_LINE) {
                throw new IOException("answer from the daemon too long");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
            in.clear();
            int n = channel.read(in);
            if (n < 0) {
                throw new IOException("the daemon closed the connection");
            }
            pending.write(in.array(), 0, n);
        }
    }

    /** Throws with the daemon's error text when the answer is not {@code ok}. */
    public static JsonObject check(JsonObject answer) throws IOException {
        if (answer.has("ok") && answer.get("ok").getAsBoolean()) {
            return answer;
        }
        String err = ControlCodec.string(answer, "error");
        throw new IOException(err != null ? err : "the daemon refused the request");
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
