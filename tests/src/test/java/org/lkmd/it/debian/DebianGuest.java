package org.lkmd.it.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.it.guest.GuestHost.hasKernelImage;
import static org.lkmd.it.guest.GuestHost.onPath;

import org.lkmd.it.guest.GuestHost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One boot of the Debian image ({@code tests/debian/boot}) and the two ways into it: the command
 * channel on the guest's second serial port ({@code tests/debian/guest/lkmd-test-channel}: a shell
 * command in, its output and exit status out; no module needed) and QMP (hotplug). Every wait is
 * bounded; the boot script's own time limit ends QEMU whatever happens here.
 */
final class DebianGuest implements AutoCloseable {
    private static final String EOF = "\u0000eof";

    record Cmd(String command, int rc, String out) {
        boolean ok() {
            return rc == 0;
        }

        @Override
        public String toString() {
            return "`" + command + "` exit " + rc + ":\n" + out;
        }
    }

    final String name;
    final Path dir;
    private final Process qemu;
    private final SocketChannel channel;
    private final BlockingQueue<String> fromGuest = new LinkedBlockingQueue<>();
    private SocketChannel qmp;
    private BufferedReader qmpIn;
    private int nextId = 1;

    private DebianGuest(String name, Path dir, Process qemu, SocketChannel channel) throws IOException {
        this.name = name;
        this.dir = dir;
        this.qemu = qemu;
        this.channel = channel;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        Thread reader = new Thread(() -> {
            try {
                for (String l; (l = in.readLine()) != null; ) {
                    fromGuest.add(l);
                }
            } catch (IOException e) {
                // the guest is gone: the end marker below says so
            }
            fromGuest.add(EOF);
        }, "debian-channel-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The image ({@code tests/debian/make-image}) with the built package, made or reused; the caller
     * is skipped (an assumption fails) where it cannot be made here: {@code -Dlkmd.debian.skip=true},
     * no QEMU, debootstrap or root, no Debian kernel on the host, no built package.
     */
    static Path image(Path repo) throws Exception {
        assumeTrue(!Boolean.getBoolean("lkmd.debian.skip"), "lkmd.debian.skip=true");
        assumeTrue(onPath("qemu-system-x86_64") && onPath("qemu-img"), "QEMU not installed (tests/install-deps installs it)");
        assumeTrue(onPath("debootstrap") && onPath("mke2fs"), "debootstrap/e2fsprogs not installed (tests/install-deps installs them)");
        assumeTrue("root".equals(System.getProperty("user.name")), "debootstrap and the chroot'ed dpkg -i need root");
        assumeTrue(hasKernelImage(), "no /boot/vmlinuz-<rel> with /lib/modules/<rel>");
        Path deb;
        try (var s = Files.list(repo.resolve("daemon/target"))) {
            deb = s.filter(p -> p.getFileName().toString().matches("lkmd_.*_amd64\\.deb")).findFirst().orElse(null);
        } catch (IOException e) {
            deb = null;
        }
        assumeTrue(deb != null, "daemon/target/lkmd_*_amd64.deb not built (mvn -DskipTests package)");
        Process p = new ProcessBuilder(repo.resolve("tests/debian/make-image").toString(), deb.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), "tests/debian/make-image failed");
        return Path.of(out.substring(out.lastIndexOf('\n') + 1));
    }

    /**
     * Boots IMAGE with the kernel arguments in {@code tests/work/debian/boot-NAME/} and waits (at most
     * {@code bootTimeoutS}) for the command channel to say it is ready.
     */
    static DebianGuest boot(Path repo, Path image, String name, long bootTimeoutS, String... kernelArgs) throws Exception {
        return boot(repo, image, From.IMAGE, name, bootTimeoutS, kernelArgs);
    }

    /**
     * What a boot starts from besides the image: an earlier boot's system ({@code backing}: its
     * overlay, the guest powered off) and the kernel and initrd to boot; null: the image's own.
     */
    record From(Path backing, Path kernel, Path initrd) {
        static final From IMAGE = new From(null, null, null);
    }

    /** As {@link #boot(Path, Path, String, long, String...)}, from what FROM names. */
    static DebianGuest boot(Path repo, Path image, From from, String name, long bootTimeoutS, String... kernelArgs)
            throws Exception {
        Path dir = repo.resolve("tests/work/debian/boot-" + name);
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("tests/debian/boot").toString(), image.toString(), dir.toString()));
        cmd.addAll(List.of(kernelArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (from.backing() != null) {
            pb.environment().put("LKMD_DEBIAN_BACKING", from.backing().toString());
        }
        if (from.kernel() != null) {
            pb.environment().put("LKMD_DEBIAN_KERNEL", from.kernel().toString());
        }
        if (from.initrd() != null) {
            pb.environment().put("LKMD_DEBIAN_INITRD", from.initrd().toString());
        }
        Process p = pb.redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        Path sock = dir.resolve("channel.sock");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(bootTimeoutS);
        SocketChannel ch = null;
        while (ch == null) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                kill(p);
                throw new AssertionError(name + ": QEMU did not start: " + Files.readString(dir.resolve("qemu.out")));
            }
            if (Files.exists(sock)) {
                try {
                    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    ch.connect(UnixDomainSocketAddress.of(sock));
                } catch (IOException e) {
                    ch = null;
                }
            }
            if (ch == null) {
                Thread.sleep(50);
            }
        }
        DebianGuest g = new DebianGuest(name, dir, p, ch);
        try {
            String l;
            while (!(l = g.nextLine(deadline)).contains("@@LKMD-CHANNEL ready")) {
                // noise before the channel starts
            }
        } catch (AssertionError | RuntimeException e) {
            g.close();
            throw new AssertionError(name + ": the guest's command channel did not come up within " + bootTimeoutS
                    + " s; console tail:\n" + g.consoleTail(60), e);
        }
        return g;
    }

    private String nextLine(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        String l = left > 0 ? fromGuest.poll(left, TimeUnit.NANOSECONDS) : null;
        if (l == null) {
            throw new AssertionError(name + ": no answer from the guest in time");
        }
        if (l == EOF) { // identity: the reader's own marker
            fromGuest.add(EOF);
            throw new AssertionError(name + ": the guest is gone (QEMU ended: power-off, crash or the boot's time limit)");
        }
        return l;
    }

    /** Runs a shell command in the guest (bash -c, as root), waiting at most 360 s. */
    Cmd run(String command) throws Exception {
        return run(command, 360);
    }

    Cmd run(String command, long timeoutS) throws Exception {
        int id = nextId++;
        String line = id + " " + Base64.getEncoder().encodeToString(command.getBytes(StandardCharsets.UTF_8)) + "\n";
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            channel.write(b); // not through a Channels stream: the reader's blocked read holds that lock
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        StringBuilder b64 = new StringBuilder();
        boolean in = false;
        try {
            while (true) {
                String l = nextLine(deadline).strip();
                if (l.equals("@@LKMD-BEGIN " + id)) {
                    in = true;
                } else if (l.startsWith("@@LKMD-END " + id + " ")) {
                    int rc = Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1));
                    String out = new String(Base64.getMimeDecoder().decode(b64.toString()), StandardCharsets.UTF_8);
                    return new Cmd(command, rc, out);
                } else if (in) {
                    b64.append(l);
                }
            }
        } catch (AssertionError e) {
            throw new AssertionError(name + ": `" + command + "`: " + e.getMessage() + "; console tail:\n" + consoleTail(40), e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    String ok(String command) throws Exception {
        Cmd c = run(command);
        if (!c.ok()) {
            throw new AssertionError(name + ": " + c);
        }
        return c.out();
    }

    /**
     * Waits (at most 5 min) until lkmd.service is active or failed; returns its state. Anything else
     * is a moment on the way (not yet started early in boot, between a stop and a restart, activating).
     */
    String waitActive() throws Exception {
        return run("for i in $(seq 300); do case $(systemctl is-active lkmd.service 2>/dev/null) in active|failed) break ;;"
                + " esac; sleep 1; done; systemctl is-active lkmd.service", 330).out().strip();
    }

    /** The guest's uptime in seconds (its monotonic clock: journal -o short-monotonic, systemd's *Monotonic). */
    double uptime() throws Exception {
        return Double.parseDouble(ok("cut -d' ' -f1 /proc/uptime").strip());
    }

    /** Sends one QMP command (JSON) and returns its reply line ({@code return} or {@code error}); events are skipped. */
    String qmp(String json) throws IOException {
        if (qmp == null) {
            qmp = SocketChannel.open(StandardProtocolFamily.UNIX);
            qmp.connect(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")));
            qmpIn = new BufferedReader(new InputStreamReader(Channels.newInputStream(qmp), StandardCharsets.UTF_8));
            qmpIn.readLine(); // greeting
            qmp("{\"execute\":\"qmp_capabilities\"}");
        }
        ByteBuffer b = ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            qmp.write(b);
        }
        for (String l; (l = qmpIn.readLine()) != null; ) {
            if (l.contains("\"return\"") || l.contains("\"error\"")) {
                return l;
            }
        }
        throw new IOException(name + ": QMP closed");
    }

    /** Hot-adds a device over QMP; fails unless QEMU accepted it. */
    void deviceAdd(String argumentsJson) throws IOException {
        String reply = qmp("{\"execute\":\"device_add\",\"arguments\":" + argumentsJson + "}");
        if (!reply.contains("\"return\"")) {
            throw new AssertionError(name + ": device_add " + argumentsJson + " refused: " + reply);
        }
    }

    /** Asks QEMU to unplug a device (the guest must release it; poll sysfs for the result). */
    void deviceDel(String id) throws IOException {
        String reply = qmp("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"" + id + "\"}}");
        if (!reply.contains("\"return\"")) {
            throw new AssertionError(name + ": device_del " + id + " refused: " + reply);
        }
    }

    /** The boot script execs timeout, which runs QEMU: both go. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    String consoleTail(int lines) {
        try {
            return GuestHost.tail(Files.readString(dir.resolve("console.log"), StandardCharsets.ISO_8859_1), lines);
        } catch (IOException e) {
            return "(no console log: " + e.getMessage() + ")";
        }
    }

    /**
     * Shuts the guest down as an administrator reboots it ({@code systemctl poweroff}; QEMU runs with
     * {@code -no-reboot}, so a reboot would end it too) and waits for QEMU to end. Returns this boot's
     * overlay: the system as the next boot finds it ({@link From#backing()}).
     */
    Path powerOff(long timeoutS) throws Exception {
        try {
            run("systemctl --no-block poweroff", 60);
        } catch (AssertionError e) {
            // the channel may go down before it answers: QEMU's end below is the answer
        }
        if (!qemu.waitFor(timeoutS, TimeUnit.SECONDS)) {
            throw new AssertionError(name + ": the guest did not power off within " + timeoutS + " s; console tail:\n" + consoleTail(40));
        }
        return dir.resolve("overlay.qcow2");
    }

    /** Ends QEMU (the overlay holds nothing worth a clean shutdown). */
    @Override
    public void close() {
        try {
            if (qmp != null || Files.exists(dir.resolve("qmp.sock"))) {
                qmp("{\"execute\":\"quit\"}");
            }
        } catch (IOException | RuntimeException e) {
            // already gone
        }
        try {
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                kill(qemu);
                qemu.waitFor(10, TimeUnit.SECONDS);
            }
            channel.close();
            if (qmp != null) {
                qmp.close();
            }
        } catch (IOException e) {
            // nothing left to do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
