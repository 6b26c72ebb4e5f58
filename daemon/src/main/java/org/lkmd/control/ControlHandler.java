package org.lkmd.control;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One control connection: checks the peer, then answers requests one at a time (see
 * {@link ControlCodec}). Runs on the event loop; blocking work goes to the pool it is given.
 */
final class ControlHandler extends SimpleChannelInboundHandler<String> {
    private static final Logger log = LoggerFactory.getLogger(ControlHandler.class);
    /** How long settle may be asked to wait at most. */
    static final long MAX_SETTLE_MS = 3_600_000;
    /** How long a refused connection is drained before it is closed. */
    static final long DRAIN_MS = 2000;

    private final ControlService service;
    private final ExecutorService blocking;
    private final AtomicInteger clients;
    private final ControlServer.Limits limits;
    private boolean counted;
    private boolean busy;
    private boolean refused;
    private AutoCloseable subscription;
    private ScheduledFuture<?> settleTimer;

    ControlHandler(ControlService service, ExecutorService blocking, AtomicInteger clients, ControlServer.Limits limits) {
        this.service = service;
        this.blocking = blocking;
        this.clients = clients;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        PeerCredentials cred;
        try {
            cred = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
        } catch (IOException | RuntimeException e) {
            log.warn("Refused control connection: cannot read peer credentials: {}", e.getMessage());
            ctx.close();
            return;
        }
        if (cred.uid() != 0) {
            log.warn("Refused control connection from uid {} (pid {}): only root may control lkmd", cred.uid(), cred.pid());
            refuse(ctx, "permission denied: uid " + cred.uid() + " is not root");
            return;
        }
        counted = true;
        if (clients.incrementAndGet() > limits.maxClients()) {
            log.warn("Refused control connection from pid {}: {} clients already connected", cred.pid(), limits.maxClients());
            refuse(ctx, "too many clients (at most " + limits.maxClients() + ")");
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            clients.decrementAndGet();
            counted = false;
        }
        endStreams();
        ctx.fireChannelInactive();
    }

    private void endStreams() {
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception e) {
                // removing a listener from a list does not fail
            }
            subscription = null;
        }
        if (settleTimer != null) {
            settleTimer.cancel(false);
            settleTimer = null;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String line) {
        if (refused) {
            return; // draining until the peer hangs up
        }
        if (busy || subscription != null) {
            refuse(ctx, "one request at a time: wait for the answer (or close the monitor stream) first");
            return;
        }
        JsonObject req;
        try {
            req = ControlCodec.parseRequest(line);
        } catch (ControlCodec.BadRequest e) {
            log.warn("Refused control request: {}", e.getMessage());
            refuse(ctx, e.getMessage());
            return;
        }
        String cmd = ControlCodec.string(req, "cmd");
        switch (cmd) {
            case "ping" -> {
                JsonObject o = ControlCodec.ok();
                o.addProperty("pid", ProcessHandle.current().pid());
                service.ping().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                ctx.writeAndFlush(ControlCodec.line(o));
            }
            case "set" -> set(ctx, req);
            case "exit" -> {
                log.info("Exit requested over the control socket");
                ctx.writeAndFlush(ControlCodec.line(ControlCodec.ok())).addListener(f -> service.exit());
            }
            case "history" -> history(ctx, req);
            case "status" -> {
                JsonObject o = ControlCodec.ok();
                service.status().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                ctx.writeAndFlush(ControlCodec.line(o));
            }
            case "reload" -> offload(ctx, () -> {
                JsonObject o = ControlCodec.ok();
                service.reload().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                return o;
            });
            case "explain" -> {
                String target = ControlCodec.string(req, "target");
                if (target == null || target.isBlank()) {
                    refuse(ctx, "explain: \"target\" (a devpath or modalias) missing");
                    return;
                }
                offload(ctx, () -> {
                    JsonObject o = ControlCodec.ok();
                    o.add("text", ControlCodec.strings(service.explain(target)));
                    return o;
                });
            }
            case "load" -> {
                String name = ControlCodec.string(req, "name");
                if (name == null || name.isEmpty()) {
                    refuse(ctx, "load: \"name\" missing");
                    return;
                }
                String origin = ControlCodec.string(req, "origin");
                if (origin != null && !origin.equals("kernel") && !origin.equals("cli")) {
                    refuse(ctx, "load: \"origin\" must be \"kernel\" or \"cli\"");
                    return;
                }
                busy = true;
                CompletableFuture<Void> sent = new CompletableFuture<>();
                try {
                    service.load(name, "cli".equals(origin), sent).whenComplete((answer, failure) -> ctx.channel().eventLoop().execute(() -> {
                        busy = false;
                        ctx.writeAndFlush(ControlCodec.line(failure == null ? answer
                                : ControlCodec.error("load failed: " + failure.getMessage())))
                                .addListener(f -> sent.complete(null));
                    }));
                } catch (RejectedExecutionException e) {
                    busy = false;
                    refuse(ctx, "daemon busy, try again");
                }
            }
            case "remove" -> {
                String name = ControlCodec.string(req, "name");
                if (name == null || name.isEmpty()) {
                    refuse(ctx, "remove: \"name\" missing");
                    return;
                }
                offload(ctx, () -> service.remove(name));
            }
            case "lsmod" -> offload(ctx, service::lsmod);
            case "settle" -> settle(ctx, req);
            case "monitor" -> monitor(ctx, req);
            default -> refuse(ctx, "unknown command \"" + cmd + "\"");
        }
    }

    /** {@code set}: {@code log_level} (a string) and/or {@code children_max} (a number), all or nothing. */
    private void set(ChannelHandlerContext ctx, JsonObject req) {
        JsonElement l = req.get("log_level");
        JsonElement m = req.get("children_max");
        if (l == null && m == null) {
            refuse(ctx, "set: give \"log_level\" and/or \"children_max\"");
            return;
        }
        if (l != null && (!l.isJsonPrimitive() || !l.getAsJsonPrimitive().isString())) {
            refuse(ctx, "set: \"log_level\" must be a string");
            return;
        }
        Integer max = null;
        if (m != null) {
            if (!m.isJsonPrimitive() || !m.getAsJsonPrimitive().isNumber()) {
                refuse(ctx, "set: \"children_max\" must be a number");
                return;
            }
            java.math.BigDecimal d = m.getAsBigDecimal();
            try {
                max = d.intValueExact();
            } catch (ArithmeticException e) {
                refuse(ctx, "set: \"children_max\" must be a whole number, not " + d.toPlainString());
                return;
            }
        }
        JsonObject answer;
        try {
            answer = service.configure(l == null ? null : l.getAsString(), max);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.warn("Refused control request: {}", e.getMessage());
            refuse(ctx, e.getMessage());
            return;
        }
        JsonObject o = ControlCodec.ok();
        answer.entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
        ctx.writeAndFlush(ControlCodec.line(o));
    }

    /** {@code history}: {@code since_ms} (epoch milliseconds), {@code module}, {@code failed}, all optional. */
    private void history(ChannelHandlerContext ctx, JsonObject req) {
        java.time.Instant since = null;
        JsonElement t = req.get("since_ms");
        if (t != null) {
            if (!t.isJsonPrimitive() || !t.getAsJsonPrimitive().isNumber()) {
                refuse(ctx, "history: \"since_ms\" must be a number");
                return;
            }
            since = java.time.Instant.ofEpochMilli(t.getAsLong());
        }
        JsonElement f = req.get("failed");
        if (f != null && (!f.isJsonPrimitive() || !f.getAsJsonPrimitive().isBoolean())) {
            refuse(ctx, "history: \"failed\" must be true or false");
            return;
        }
        String module = ControlCodec.string(req, "module");
        boolean failed = f != null && f.getAsBoolean();
        java.time.Instant from = since;
        offload(ctx, () -> {
            JsonObject o = ControlCodec.ok();
            o.add("events", service.history(from, module, failed));
            return o;
        });
    }

    /** Runs a blocking request on the pool and answers from there; the loop stays free. */
    private void offload(ChannelHandlerContext ctx, java.util.concurrent.Callable<JsonObject> work) {
        busy = true;
        try {
            blocking.execute(() -> {
                JsonObject answer;
                try {
                    answer = work.call();
                } catch (Exception e) {
                    log.warn("Failed to serve control request: {}", e.toString());
                    answer = ControlCodec.error("internal error: " + e);
                }
                JsonObject a = answer;
                ctx.channel().eventLoop().execute(() -> {
                    busy = false;
                    ctx.writeAndFlush(ControlCodec.line(a));
                });
            });
        } catch (RejectedExecutionException e) {
            busy = false;
            refuse(ctx, "daemon busy, try again");
        }
    }

    private void settle(ChannelHandlerContext ctx, JsonObject req) {
        long timeout = 120_000;
        JsonElement t = req.get("timeout_ms");
        if (t != null) {
            try {
                timeout = t.getAsLong();
            } catch (RuntimeException e) {
                refuse(ctx, "settle: \"timeout_ms\" must be a number");
                return;
            }
        }
        if (timeout < 0 || timeout > MAX_SETTLE_MS) {
            refuse(ctx, "settle: \"timeout_ms\" must be between 0 and " + MAX_SETTLE_MS);
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        busy = true;
        // polled on the loop: no thread is parked per waiting client
        settleTimer = ctx.executor().scheduleAtFixedRate(() -> {
            boolean idle = service.idle();
            if (idle || System.nanoTime() >= deadline) {
                settleTimer.cancel(false);
                settleTimer = null;
                busy = false;
                int[] d = service.depth();
                JsonObject o = ControlCodec.ok();
                o.addProperty("settled", idle);
                o.addProperty("queued", d[0]);
                o.addProperty("running", d[1]);
                ctx.writeAndFlush(ControlCodec.line(o));
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
    }

    private void monitor(ChannelHandlerContext ctx, JsonObject req) {
        String subsystem = ControlCodec.string(req, "subsystem");
        String uuid = ControlCodec.string(req, "uuid");
        subscription = service.subscribe(event -> {
            if ((subsystem != null && !subsystem.equals(ControlCodec.string(event, "subsystem")))
                    || (uuid != null && !uuid.equals(synthUuid(event)))) {
                return;
            }
            send(ctx, event);
        });
        JsonObject o = ControlCodec.ok();
        o.addProperty("monitoring", true);
        ctx.writeAndFlush(ControlCodec.line(o));
    }

    /** The {@code SYNTH_UUID} among an event's properties, or null. */
    private static String synthUuid(JsonObject event) {
        JsonElement p = event.get("properties");
        return p != null && p.isJsonObject() ? ControlCodec.string(p.getAsJsonObject(), "SYNTH_UUID") : null;
    }

    /** Called on a worker thread: writing is thread-safe; a client that stops reading is dropped. */
    private void send(ChannelHandlerContext ctx, JsonObject event) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            log.warn("Closed monitor connection: the client does not keep up with the events");
            ctx.close();
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("v", ControlCodec.VERSION);
        o.add("event", event);
        ctx.writeAndFlush(ControlCodec.line(o));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && !busy && subscription == null) {
            refuse(ctx, "idle for " + limits.idle().toSeconds() + " s, closing");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refused) {
            return;
        }
        if (cause instanceof TooLongFrameException) {
            log.warn("Refused control request: longer than {} bytes", limits.maxRequest());
            refuse(ctx, "request larger than " + limits.maxRequest() + " bytes");
        } else if (cause instanceof IOException) {
            ctx.close(); // the peer went away
        } else {
            log.warn("Failed to serve control connection: {}, closing it", cause.toString());
            ctx.close();
        }
    }

    /**
     * Sends an error line and ends the connection: output is shut down at once; what the peer
     * still sends is read and dropped until it hangs up, for at most {@link #DRAIN_MS}, because
     * closing a Unix socket with unread input resets it and the peer would lose the error line.
     */
    private void refuse(ChannelHandlerContext ctx, String message) {
        if (refused) {
            return;
        }
        refused = true;
        endStreams();
        busy = true;
        ctx.writeAndFlush(ControlCodec.line(ControlCodec.error(message))).addListener(f -> {
            if (ctx.channel() instanceof EpollDomainSocketChannel ch && ch.isActive()) {
                ch.shutdownOutput();
            }
            ctx.executor().schedule(() -> ctx.close(), DRAIN_MS, TimeUnit.MILLISECONDS);
        });
    }

}
