package org.lkmd.uevent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Helpers for tests against this machine's kernel: root checks, sysfs writes, a running source. */
final class RealKernel {
    static final Path PCSPKR = Path.of("/sys/devices/platform/pcspkr");

    private RealKernel() {
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** True when we are root and a kobject-uevent socket can be opened and bound. */
    static boolean usable() {
        if (!isRoot() || !Files.isDirectory(Path.of("/sys/devices"))) {
            return false;
        }
        try (NetlinkUeventSource s = NetlinkUeventSource.open(NetlinkUeventSource.Options.DEFAULTS.withReceiveBuffer(0))) {
            return s.fd() >= 0;
        } catch (IOException | UnsatisfiedLinkError e) {
            return false;
        }
    }

    /** A device with a modalias, pcspkr when present. */
    static Path modaliasDevice() throws IOException {
        if (Files.isRegularFile(PCSPKR.resolve("modalias"))) {
            return PCSPKR;
        }
        try (Stream<Path> s = Files.walk(Path.of("/sys/devices"))) {
            return s.filter(p -> p.getFileName().toString().equals("modalias"))
                    .map(Path::getParent)
                    .filter(d -> Files.exists(d.resolve("uevent")))
                    .findFirst().orElseThrow(() -> new IOException("no device with a modalias"));
        }
    }

    static String read(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    static void writeUevent(Path device, String text) throws IOException {
        Files.writeString(device.resolve("uevent"), text, StandardCharsets.US_ASCII);
    }

    static String devpath(Path device) throws IOException {
        return "/" + Path.of("/sys").relativize(device.toRealPath());
    }

    /** A forger's netlink socket on the uevent protocol (root only). */
    static int forgerSocket() {
        return LibC.INSTANCE.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_KOBJECT_UEVENT);
    }

    /** Sends {@code bytes} from {@code fd} to {@code portId} / {@code groups}; returns 0 or the errno. */
    static int send(int fd, byte[] bytes, int portId, int groups) {
        Memory buf = new Memory(bytes.length);
        buf.write(0, bytes, 0, bytes.length);
        try {
            LibC.INSTANCE.sendto(fd, buf, bytes.length, 0, NetlinkSockets.sockaddrNl(portId, groups),
                    LibC.SOCKADDR_NL_SIZE);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }

    static void close(int fd) {
        LibC.INSTANCE.close(fd);
    }

    /** A source running on its own thread, collecting what it delivers. */
    static final class Running implements AutoCloseable {
        final UeventSource source;
        final BlockingQueue<Uevent> events = new LinkedBlockingQueue<>();
        final AtomicInteger overflows = new AtomicInteger();
        final Thread thread;
        volatile Throwable failure;

        Running(UeventSource source) {
            this.source = source;
            this.thread = new Thread(() -> {
                try {
                    source.run(UeventSink.of(events::add, overflows::incrementAndGet));
                } catch (Throwable t) {
                    failure = t;
                }
            }, "test-netlink");
            thread.start();
        }

        /** The first delivered event matching {@code p} within {@code seconds}, skipping others. */
        Uevent await(Predicate<Uevent> p, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                Uevent e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && p.test(e)) {
                    return e;
                }
            }
            return null;
        }

        /** Everything delivered until {@code p} matches (inclusive), within {@code seconds}. */
        List<Uevent> collectUntil(Predicate<Uevent> p, int seconds) throws InterruptedException {
            List<Uevent> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                Uevent e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null) {
                    out.add(e);
                    if (p.test(e)) {
                        return out;
                    }
                }
            }
            return out;
        }

        @Override
        public void close() throws InterruptedException {
            source.stop();
            thread.join(5000);
            source.close();
        }
    }
}
