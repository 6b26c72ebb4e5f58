package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.daemon.Daemon;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.testing.Await;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel's module helper: {@code lkmd-modprobe -q -- NAME} (the C fast path) answered by a
 * running daemon over its control socket, and the same call working alone when no daemon answers:
 * through kmod's modprobe when it is installed, else through the Java tool, also when a daemon
 * took the connection and never answers.
 */
class HelperFastPathTest {
    @TempDir
    static Path tmp;
    static Path root;
    static Path helper;
    static String rel;
    static SimulatingDaemon sim;
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        rel = RealTree.release();
        root = FakeRoots.hostLike(tmp.resolve("root"));
        Files.createDirectories(root.resolve("sys"));
        // a loading daemon (into a simulated kernel): a --simulate one leaves a person's call to the Java tool
        sim = SimulatingDaemon.over(root).release(rel).loadingInto(SimulatedKernel.on(root).release(rel).build()).start();
        daemon = sim.daemon;
        sim.controlSocket();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (sim != null) {
            sim.close();
        }
    }

    private static Tool helper(String socket, String... args) {
        return helperWith(List.of(), socket, args);
    }

    /** The helper with {@code env} (NAME=VALUE) besides its control socket. */
    private static Tool helperWith(List<String> env, String socket, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "LKMD_CONTROL_SOCKET=" + socket));
        cmd.addAll(env);
        cmd.add(helper.toString());
        cmd.addAll(List.of(args));
        return Tool.exec(cmd);
    }

    /** A stand-in for kmod's modprobe that says how it was run and exits 3. */
    private static Path fakeKmod(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path p = dir.resolve("modprobe");
        Files.writeString(p, "#!/bin/sh\necho \"kmod $(basename \"$0\") $*\"\nexit 3\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void kernelRequestIsAnsweredByTheDaemon() {
        String socket = root.resolve("run/lkmd/control").toString();
        Tool ok = helper(socket, "-q", "--", "crc16");
        assertEquals(0, ok.rc(), ok.err());
        assertEquals("", ok.out());
        // only the daemon knows this fake root: its answer names the root's module directory
        Tool missing = helper(socket, "--", "no-such-module");
        assertEquals(1, missing.rc());
        assertEquals("modprobe: FATAL: Module no-such-module not found in directory " + root + "/lib/modules/" + rel
                + "\n", missing.err());
        Tool quiet = helper(socket, "-q", "--", "no-such-module");
        assertEquals(1, quiet.rc());
        assertEquals("", quiet.err());
        Tool builtin = helper(socket, "-q", "--", "8250");
        assertEquals(0, builtin.rc(), builtin.err());
    }

    @Test
    void withoutADaemonTheJavaToolDoesTheWork() {
        // no socket: the helper runs "lkmd modprobe" itself, here as a dry run under the fake root
        Tool t = helper(root.resolve("run/lkmd/none").toString(), "--root", root.toString(), "-S", rel,
                "--show-depends", "crc16");
        assertEquals(0, t.rc(), t.err());
        assertEquals("insmod " + root + "/lib/modules/" + rel + "/kernel/lib/crc16.ko \n", t.out());
    }

    @Test
    void withoutADaemonTheKernelsCallGoesToKmodsModprobe() throws Exception {
        Path kmod = fakeKmod(tmp.resolve("kmod-bin"));
        Tool t = helperWith(List.of("LKMD_KMOD_MODPROBE=" + kmod), root.resolve("run/lkmd/none").toString(),
                "-q", "--", "fs-vfat");
        assertEquals(3, t.rc(), t.err());
        assertEquals("kmod modprobe -q -- fs-vfat\n", t.out());
    }

    @Test
    void aDaemonThatTakesTheConnectionAndNeverAnswersIsLeftWithinTheBound() throws Exception {
        Path kmod = fakeKmod(tmp.resolve("kmod-bin-2"));
        Path hung = tmp.resolve("hung.sock");
        List<SocketChannel> taken = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(hung));
            Thread accepter = new Thread(() -> {
                try {
                    while (true) {
                        taken.add(server.accept()); // reads nothing, answers nothing
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }, "hung-daemon");
            accepter.start();
            // without the bound the helper would wait forever (Tool gives up after 120 s and fails)
            Tool t = helperWith(List.of("LKMD_KMOD_MODPROBE=" + kmod, "LKMD_HELPER_TIMEOUT_MS=500"), hung.toString(),
                    "-q", "--", "char-major-10-229");
            assertEquals(3, t.rc(), t.err());
            assertEquals("kmod modprobe -q -- char-major-10-229\n", t.out());
            assertTrue(Await.waitFor(() -> taken.size() == 1, Duration.ofSeconds(10)),
                    "the helper connected to the hung daemon first");
        } finally {
            for (SocketChannel c : taken) {
                c.close();
            }
        }
    }

    @Test
    void withoutKmodTheKernelsCallGoesToTheJavaTool() throws Exception {
        // kmod absent (empty), and lkmd's own kmod-named modprobe beside the helper is never taken for kmod
        Path lkmdsOwn = helper.resolveSibling("modprobe");
        for (String kmod : List.of("", lkmdsOwn.toString())) {
            Tool t = helperWith(List.of("LKMD_KMOD_MODPROBE=" + kmod, "LKMD_LAUNCHER=/bin/echo"),
                    root.resolve("run/lkmd/none").toString(), "-q", "--", "fs-vfat");
            assertEquals(0, t.rc(), t.err());
            assertEquals("modprobe -q -- fs-vfat\n", t.out(), "kmod=" + kmod);
        }
    }

    @Test
    void theDaemonsMessagesArePrintedWithEveryJsonEscapeDecoded() throws Exception {
        Path sock = tmp.resolve("answering.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread answer = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    c.read(java.nio.ByteBuffer.allocate(8192));
                    String resp = "{\"v\":1,\"ok\":true,\"rc\":1,\"messages\":[\"modprobe: ERROR: could not insert \\u0027x\\u0027:"
                            + " caf\\u00e9 \\\"q\\\" a\\\\b\\tc\\u20ac\"]}\n";
                    c.write(java.nio.ByteBuffer.wrap(resp.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                } catch (Exception e) {
                    // the test fails on the helper's output
                }
            }, "answering-daemon");
            answer.start();
            Tool t = helper(sock.toString(), "--", "x");
            answer.join(10_000);
            assertEquals(1, t.rc());
            assertEquals("modprobe: ERROR: could not insert 'x': caf\u00e9 \"q\" a\\b\tc\u20ac\n", t.err());
        }
    }
}
