package org.lkmd.uevent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link UeventSource} that replays a script: raw datagrams (parsed and checked exactly like the
 * kernel's, drops counted), events, and overflow signals. For tests and {@code --simulate}.
 * The script is an {@link Iterable}, read lazily on the owner thread.
 */
public final class ScriptedUeventSource implements UeventSource {

    /** One step of a script. */
    public sealed interface Step permits Datagram, Overflow {
    }

    /** A datagram as the kernel would send it (it still goes through {@link UeventParser}). */
    public record Datagram(byte[] bytes) implements Step {
        public Datagram {
            bytes = bytes.clone();
        }
    }

    /** An {@code ENOBUFS} at this point of the script. */
    public record Overflow() implements Step {
    }

    private final Iterable<? extends Step> script;
    private final UeventParser parser;
    private final DropCounts drops = new DropCounts();
    private final AtomicLong overflows = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean stopped;

    public ScriptedUeventSource(Iterable<? extends Step> script, UeventParser parser) {
        this.script = Objects.requireNonNull(script, "script");
        this.parser = Objects.requireNonNull(parser, "parser");
    }

    /** A script of events, in order. */
    public static ScriptedUeventSource of(List<Uevent> events) {
        List<Step> steps = new ArrayList<>(events.size());
        for (Uevent e : events) {
            steps.add(new Datagram(UeventParser.encode(e)));
        }
        return new ScriptedUeventSource(steps, new UeventParser());
    }

    /** A script of files, each holding one datagram in the kernel wire format ({@code *.uevent}). */
    public static ScriptedUeventSource ofFiles(List<Path> files) throws IOException {
        List<Step> steps = new ArrayList<>(files.size());
        for (Path f : files) {
            if (Files.size(f) > UeventParser.MAX_SIZE + 1) {
                // Still a step, so the replay counts it as the listener would: OVERSIZE.
                steps.add(new Datagram(new byte[UeventParser.MAX_SIZE + 1]));
            } else {
                steps.add(new Datagram(Files.readAllBytes(f)));
            }
        }
        return new ScriptedUeventSource(steps, new UeventParser());
    }

    @Override
    public void run(UeventSink sink) {
        for (Step step : script) {
            if (stopped || Thread.currentThread().isInterrupted()) {
                return;
            }
            if (step instanceof Overflow) {
                overflows.incrementAndGet();
                sink.overflow();
            } else if (step instanceof Datagram d) {
                UeventParser.Result r = parser.parse(d.bytes(), 0, d.bytes().length);
                if (!r.accepted()) {
                    drops.increment(r.drop());
                    continue;
                }
                try {
                    sink.accept(r.event());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                delivered.incrementAndGet();
            }
        }
    }

    @Override
    public void stop() {
        stopped = true;
    }

    @Override
    public DropCounts drops() {
        return drops;
    }

    @Override
    public long overflows() {
        return overflows.get();
    }

    @Override
    public long delivered() {
        return delivered.get();
    }

    @Override
    public void close() {
        stopped = true;
    }
}
