package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.cli.CliContext;
import org.lkmd.cli.Main;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.testing.Await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
 * A person's {@code lkmd modprobe [-q] [-r] [--] NAME} and {@code lkmd lsmod} while the daemon runs: the
 * launcher hands them to the C client, which has the daemon do them (no JVM starts); every other
 * form, and every call the daemon does not do for real (no daemon, a configuration change it has
 * not read yet, an install or remove command, a daemon that only simulates), goes to the Java tool,
 * never to kmod's modprobe and never round in a loop. Run as a person would: the built launcher and
 * client as processes, against a daemon over its real control socket.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModprobeFrontTest {
    @TempDir
    static Path tmp;
    static Path launcher;
    static Path client;
    static Path root;
    static String rel;
    static SimulatedKernel kernel;
    static SimulatingDaemon loading;
    /** Stands in for the Java tool: says how it was run. */
    static Path javaTool;

    @BeforeAll
    static void start() throws Exception {
        Path target = Path.of(System.getProperty("lkmd.repo", "..")).resolve("daemon/target").toAbsolutePath();
        launcher = target.resolve("lkmd");
        client = target.resolve("bin/lkmd-modprobe");
        assumeTrue(Files.isExecutable(client), "lkmd-modprobe was not built (no C compiler)");
        rel = RealTree.release();
        // a change is read 10 s after the files go quiet: long enough to be caught waiting
        root = daemonRoot("root", "[reload]\nwatch = true\ndebounce_ms = 10000\n");
        kernel = SimulatedKernel.on(root).release(rel).build();
        loading = SimulatingDaemon.over(root).release(rel).loadingInto(kernel).start();
        loading.controlSocket();
        javaTool = tmp.resolve("java-tool");
        Files.writeString(javaTool, "#!/bin/sh\necho \"java tool (LKMD_FORWARDED=$LKMD_FORWARDED): $*\"\n");
        Files.setPosixFilePermissions(javaTool, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A root over the real module tree with a configuration of its own and this lkmd.toml. */
    private static Path daemonRoot(String name, String toml) throws Exception {
        Path r = FakeRoots.ownConfig(tmp.resolve(name), "quiet\n");
        Files.createDirectories(r.resolve("sys"));
        Files.createDirectories(r.resolve("etc/lkmd"));
        Files.writeString(r.resolve("etc/lkmd/lkmd.toml"), toml);
        return r;
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (loading != null) {
            loading.close();
        }
    }

    private static Tool run(Path socket, List<String> env, Object... cmd) {
        List<String> c = new ArrayList<>(List.of("env", "LKMD_CONTROL_SOCKET=" + socket));
        c.addAll(env);
        for (Object o : cmd) {
            c.add(o.toString());
        }
        return Tool.exec(c);
    }

    private static Path socket(Path r) {
        return r.resolve("run/lkmd/control");
    }

    private static String notFound(Path r, String name) {
        return "modprobe: FATAL: Module " + name + " not found in directory " + r.resolve("lib/modules/" + rel) + "\n";
    }

    @Test
    void aPersonsModprobeIsDoneByTheRunningDaemonAndNoJvmStarts() throws Exception {
        // no Java runtime at all: the launcher would exit 5 if it got as far as starting one
        List<String> noJava = List.of("LKMD_JAVA=/nonexistent/java");
        Tool t = run(socket(root), noJava, launcher, "modprobe", "-q", "crc16");
        assertEquals(0, t.rc(), t.err());
        assertEquals("", t.out() + t.err());
        assertEquals(ModuleState.LIVE, kernel.state("crc16"));
        // run through a symlink, as /usr/bin/lkmd is: the client beside the link's target is found
        Path link = Files.createDirectories(tmp.resolve("usr-bin")).resolve("lkmd");
        Files.createSymbolicLink(link, launcher);
        Tool viaLink = run(socket(root), noJava, link, "modprobe", "-q", "crc32_generic");
        assertEquals(0, viaLink.rc(), viaLink.err());
        assertEquals(ModuleState.LIVE, kernel.state("crc32_generic"));
        assertTrue(loading.daemon.events().records().stream().anyMatch(r -> "crc16".equals(r.request())
                && r.source() == EventRecord.Source.COMMAND_LINE), "the load is in the daemon's history as a person's");
        // kmod's message and status, for the daemon's root (the Java tool would name the host's directory)
        Tool missing = run(socket(root), noJava, launcher, "modprobe", "no-such-module");
        assertEquals(1, missing.rc());
        assertEquals(notFound(root, "no-such-module"), missing.err());
        Tool quiet = run(socket(root), noJava, launcher, "modprobe", "-q", "--", "no-such-module");
        assertEquals(1, quiet.rc());
        assertEquals("", quiet.out() + quiet.err());
    }

    @Test
    void aPersonsRemovalIsDoneByTheRunningDaemonWithTheJavaToolsMessages() throws Exception {
        List<String> noJava = List.of("LKMD_JAVA=/nonexistent/java");
        assertEquals(0, run(socket(root), noJava, launcher, "modprobe", "msdos").rc());
        assertEquals(ModuleState.LIVE, kernel.state("fat"));
        // kmod's messages and status, the same as the Java tool's on the same kernel, for each way it fails
        for (List<String> form : List.of(List.of("-r", "fat"), List.of("-r", "no-such-module"),
                List.of("--remove", "--", "iosf_mbi"))) {
            List<Object> cmd = new ArrayList<>(List.of(launcher, "modprobe"));
            cmd.addAll(form);
            Tool t = run(socket(root), noJava, cmd.toArray());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of("modprobe", "--root", root.toString(), "-S", rel));
            args.addAll(form);
            int rc = Main.run(new CliContext(ps, ps, (r, release) -> kernel), args.toArray(new String[0]));
            assertEquals(1, t.rc(), form + ": " + t.err());
            assertEquals(rc, t.rc(), form.toString());
            assertEquals(err.toString(StandardCharsets.UTF_8), t.err(), form.toString());
            assertTrue(t.err().startsWith("modprobe: FATAL: Module "), t.err());
            assertEquals("", run(socket(root), noJava, launcher, "modprobe", "-rq", form.get(form.size() - 1)).err());
        }
        assertEquals(ModuleState.LIVE, kernel.state("fat"), "fat was in use by msdos");
        // the module goes, and the dependency it left unused with it
        Tool t = run(socket(root), noJava, launcher, "modprobe", "-r", "msdos");
        assertEquals(0, t.rc(), t.err());
        assertEquals("", t.out() + t.err());
        assertEquals(ModuleState.ABSENT, kernel.state("msdos"));
        assertEquals(ModuleState.ABSENT, kernel.state("fat"));
        // not loaded: nothing to do, as with kmod (--first-time, which makes it an error, is the Java tool's)
        Tool again = run(socket(root), noJava, launcher, "modprobe", "-q", "-r", "msdos");
        assertEquals(0, again.rc(), again.err());
    }

    @Test
    void everyOtherFormRunsTheJavaToolOnceAndComesBackNoMore() {
        // the launcher hands this to the client, which hands it back: the Java tool answers (a loop would time out)
        Tool t = run(socket(root), List.of(), launcher, "modprobe", "--root", root, "-S", rel, "--show-depends", "crc16");
        assertEquals(0, t.rc(), t.err());
        assertEquals("insmod " + root.resolve("lib/modules/" + rel + "/kernel/lib/crc16.ko") + " \n", t.out());
        for (List<String> form : List.of(List.of("-r", "-v", "crc16"), List.of("-r", "crc16", "crc7"), List.of("-a", "crc16"))) {
            List<Object> cmd = new ArrayList<>(List.of(client));
            cmd.addAll(form);
            Tool c = run(socket(root), List.of("LKMD_LAUNCHER=" + javaTool), cmd.toArray());
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe " + String.join(" ", form) + "\n", c.out());
        }
    }

    @Test
    void withoutADaemonAPersonsCallGoesToTheJavaToolNotToKmod() throws Exception {
        Path kmod = tmp.resolve("kmod-modprobe");
        Files.writeString(kmod, "#!/bin/sh\necho \"kmod: $*\"\n");
        Files.setPosixFilePermissions(kmod, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> env = List.of("LKMD_LAUNCHER=" + javaTool, "LKMD_KMOD_MODPROBE=" + kmod);
        Path none = tmp.resolve("no-daemon.sock");
        assertEquals("java tool (LKMD_FORWARDED=1): modprobe -q fs-vfat\n", run(none, env, client, "-q", "fs-vfat").out());
        assertEquals("java tool (LKMD_FORWARDED=1): modprobe fs-vfat\n", run(none, env, client, "fs-vfat").out());
        // the kernel's own call still goes to kmod's modprobe, as before
        assertEquals("kmod: -q -- fs-vfat\n", run(none, env, client, "-q", "--", "fs-vfat").out());
        // and with no socket the launcher does not hand the call to the client at all
        Tool t = run(none, List.of("LKMD_JAVA=/nonexistent/java"), launcher, "modprobe", "-q", "fs-vfat");
        assertEquals(5, t.rc(), "the launcher looked for Java: " + t.err());
    }

    @Test
    void aSimulatingDaemonLeavesAPersonsLoadToTheJavaTool() throws Exception {
        Path simRoot = daemonRoot("sim", "[reload]\nwatch = false\n");
        try (SimulatingDaemon sim = SimulatingDaemon.over(simRoot).release(rel).start()) {
            sim.controlSocket();
            List<String> env = List.of("LKMD_LAUNCHER=" + javaTool);
            // it is not the system's loader: it would only plan the load, and answer for its own tree
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -q crc16\n", run(socket(simRoot), env, client, "-q", "crc16").out());
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -r crc16\n", run(socket(simRoot), env, client, "-r", "crc16").out());
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe no-such-module\n",
                    run(socket(simRoot), env, client, "no-such-module").out());
            // the kernel's call is answered as before
            Tool k = run(socket(simRoot), env, client, "-q", "--", "crc16");
            assertEquals(0, k.rc(), k.err());
            assertEquals("", k.out());
        }
    }

    @Test
    void aPlainLsmodIsTheDaemonsTableTheJavaToolsTextAndNoJvmStarts() throws Exception {
        Path lsmodClient = client.resolveSibling("lkmd-lsmod");
        assertTrue(Files.isSymbolicLink(lsmodClient), "bin/lkmd-lsmod is a link to the client");
        List<String> noJava = List.of("LKMD_JAVA=/nonexistent/java");
        assertEquals(0, run(socket(root), noJava, launcher, "modprobe", "-q", "crc7").rc());
        Tool t = run(socket(root), noJava, launcher, "lsmod");
        assertEquals(0, t.rc(), t.err());
        assertEquals("", t.err());
        // the Java tool's text over the same kernel, byte for byte
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(0, Main.run(new CliContext(ps, ps, (r, release) -> kernel), "lsmod"));
        assertEquals(out.toString(StandardCharsets.UTF_8), t.out());
        assertTrue(t.out().startsWith("Module                  Size  Used by\n"), t.out());
        assertTrue(t.out().lines().anyMatch(l -> l.startsWith("crc7 ")), t.out());

        // anything but the plain call, no daemon, a daemon that only simulates: the Java tool, once
        List<String> env = List.of("LKMD_LAUNCHER=" + javaTool);
        assertEquals("java tool (LKMD_FORWARDED=1): lsmod -h\n", run(socket(root), env, lsmodClient, "-h").out());
        assertEquals("java tool (LKMD_FORWARDED=1): lsmod\n", run(tmp.resolve("no-daemon.sock"), env, lsmodClient).out());
        Path simRoot = daemonRoot("sim-lsmod", "[reload]\nwatch = false\n");
        try (SimulatingDaemon sim = SimulatingDaemon.over(simRoot).release(rel).start()) {
            sim.controlSocket();
            assertEquals("java tool (LKMD_FORWARDED=1): lsmod\n", run(socket(simRoot), env, lsmodClient).out());
        }
        // with arguments the launcher does not hand lsmod to the client at all
        Tool withArgs = run(socket(root), noJava, launcher, "lsmod", "--help");
        assertEquals(5, withArgs.rc(), "the launcher looked for Java: " + withArgs.err());
    }

    @Test
    void aCallerSettingTheDaemonWouldNotSeeIsTheJavaTools() {
        List<String> env = List.of("LKMD_LAUNCHER=" + javaTool);
        for (String setting : List.of("MODPROBE_OPTIONS=-v", "LKMD_HOOK_TIMEOUT=3")) {
            List<String> e = new ArrayList<>(env);
            e.add(setting);
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -q crc-itu-t\n",
                    run(socket(root), e, client, "-q", "crc-itu-t").out(), setting);
        }
        assertEquals(ModuleState.ABSENT, kernel.state("crc_itu_t"), "the daemon loaded it anyway");
    }

    @Test
    void aLoadThatRunsAnInstallOrRemoveCommandIsTheJavaTools() throws Exception {
        Path hookRoot = daemonRoot("hook", "[reload]\nwatch = false\n");
        Files.writeString(hookRoot.resolve("etc/modprobe.d/hook.conf"), "install crc16 /bin/true\nremove fat /bin/true\n");
        SimulatedKernel k = SimulatedKernel.on(hookRoot).release(rel).build();
        try (SimulatingDaemon d = SimulatingDaemon.over(hookRoot).release(rel).loadingInto(k).start()) {
            d.controlSocket();
            List<String> env = List.of("LKMD_LAUNCHER=" + javaTool);
            // kmod would run the command in the person's session, its output on their terminal
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -q crc16\n", run(socket(hookRoot), env, client, "-q", "crc16").out());
            // a load without one is the daemon's
            Tool t = run(socket(hookRoot), env, client, "-q", "crc-itu-t");
            assertEquals(0, t.rc(), t.err());
            assertEquals("", t.out());
            assertEquals(ModuleState.LIVE, k.state("crc_itu_t"));
            // a removal that may reach a remove command (fat's, a dependency of msdos) is the Java tool's too
            assertEquals(0, run(socket(hookRoot), env, client, "-q", "msdos").rc());
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -r msdos\n", run(socket(hookRoot), env, client, "-r", "msdos").out());
            assertEquals(ModuleState.LIVE, k.state("msdos"));
            Tool removal = run(socket(hookRoot), env, client, "-r", "crc-itu-t");
            assertEquals(0, removal.rc(), removal.err());
            assertEquals(ModuleState.ABSENT, k.state("crc_itu_t"));
            // the kernel's call runs the command in the daemon, as before
            Tool byKernel = run(socket(hookRoot), env, client, "-q", "--", "crc16");
            assertEquals(0, byKernel.rc(), byKernel.err());
            assertEquals("", byKernel.out());

            // this daemon watches no file: a change is the Java tool's until `lkmd reload`
            Files.writeString(hookRoot.resolve("etc/modprobe.d/later.conf"), "options crc7 lkmdtest=1\n");
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -q crc7\n",
                    run(socket(hookRoot), env, client, "-q", "crc7").out());
            Thread.sleep(100); // the reload begins well after the change (file times are coarse: 20 ms are allowed)
            Tool reload = Tool.lkmd("reload", "--root", hookRoot.toString());
            assertEquals(0, reload.rc(), reload.err());
            Tool after = run(socket(hookRoot), env, client, "-q", "crc7");
            assertEquals("", after.out() + after.err());
            assertEquals(ModuleState.LIVE, k.state("crc7"));
        }
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: its change keeps the daemon's configuration pending for a while
    void aConfigurationChangeNotReadYetSendsAPersonsCallToTheJavaTool() throws Exception {
        List<String> env = List.of("LKMD_LAUNCHER=" + javaTool);
        Path conf = root.resolve("etc/modprobe.d/lkmdtest.conf");
        Files.writeString(conf, "options crc16 lkmdtest=1\n");
        try {
            // kmod's modprobe would read the new line now; the daemon reads it when the files are quiet
            assertTrue(Await.waitFor(() -> run(socket(root), env, client, "-q", "no-such-module").out()
                    .equals("java tool (LKMD_FORWARDED=1): modprobe -q no-such-module\n"), Duration.ofSeconds(5)),
                    "a person's call was answered from the configuration before the change");
            assertEquals("java tool (LKMD_FORWARDED=1): modprobe -r no-such-module\n",
                    run(socket(root), env, client, "-r", "no-such-module").out());
            // the kernel's call does not wait for the reload: the daemon answers it
            Tool k = run(socket(root), env, client, "-q", "--", "no-such-module");
            assertEquals(1, k.rc());
            assertEquals("", k.out() + k.err());
            // once the change is read, the daemon does a person's call again
            assertTrue(Await.waitFor(() -> run(socket(root), env, client, "no-such-module").err()
                    .equals(notFound(root, "no-such-module")), Duration.ofSeconds(60)), "the daemon never read the change");
        } finally {
            Files.delete(conf);
        }
    }
}
