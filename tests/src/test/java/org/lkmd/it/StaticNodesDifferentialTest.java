package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code lkmd static-nodes} against kmod's: stdout, stderr and exit status identical for the
 * Debian tree's {@code modules.devname} in every format, {@code -o} into new nested directories,
 * a hand-written file with comments, invalid lines, block devices and nested node paths, a missing
 * file, and bad options. kmod reads only {@code /lib/modules/$(uname -r)}, which has no modules on
 * this machine: it runs in a private mount namespace where a tmpfs covers {@code /lib/modules} and
 * the test's directory is bound at the running release. lkmd reads the same directory through
 * {@code --root}.
 */
class StaticNodesDifferentialTest {
    static String running;

    @BeforeAll
    static void tools() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/kmod")), "kmod is not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare (util-linux) is not installed");
        running = KmodTree.sh("uname", "-r").outText().strip();
        KmodTree.Result probe = KmodTree.sh("unshare", "-m", "sh", "-c", "mount -t tmpfs none /lib/modules");
        assumeTrue(probe.rc() == 0, "no private mount namespace here (root needed): " + probe.err());
    }

    /** A root whose {@code /lib/modules/<running release>} holds the given modules.devname (none if null). */
    private static Path root(Path tmp, byte[] devname) throws IOException {
        Path dir = tmp.resolve("root/lib/modules").resolve(running);
        Files.createDirectories(dir);
        if (devname != null) {
            Files.write(dir.resolve("modules.devname"), devname);
        }
        return tmp.resolve("root");
    }

    private static KmodTree.Result kmod(Path root, String... args) throws Exception {
        Path dir = root.resolve("lib/modules").resolve(running);
        List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
                "mount -t tmpfs none /lib/modules && mkdir /lib/modules/\"$0\" && mount --bind \"$1\" /lib/modules/\"$0\" "
                        + "&& shift && exec /bin/kmod static-nodes \"$@\"", running, dir.toString()));
        cmd.addAll(List.of(args));
        return KmodTree.sh(cmd.toArray(String[]::new));
    }

    private static KmodTree.Result lkmd(Path root, String... args) {
        List<String> a = new ArrayList<>(List.of("--root", root.toString(), "static-nodes"));
        a.addAll(List.of(args));
        return KmodTree.lkmd(a.toArray(String[]::new));
    }

    /** Same stdout (kmod's usage names the program it was run as), stderr and status. */
    private static void assertSame(Path root, String... args) throws Exception {
        KmodTree.Result k = kmod(root, args);
        KmodTree.Result l = lkmd(root, args);
        String what = String.join(" ", args);
        assertEquals(k.outText(), l.outText().replace("\tlkmd static-nodes [options]", "\tkmod static-nodes [options]"),
                "stdout of " + what);
        assertEquals(k.err(), l.err(), "stderr of " + what);
        assertEquals(k.rc(), l.rc(), "exit status of " + what);
    }

    @Test
    void theDebianTreeInEveryFormat(@TempDir Path tmp) throws Exception {
        String rel = RealTree.release();
        byte[] devname = Files.readAllBytes(Path.of("/lib/modules", rel, "modules.devname"));
        String text = new String(devname, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("fuse c10:229") && text.contains("snd/seq") && text.contains("mapper/control"),
                "Debian's modules.devname has nested and flat nodes");
        Path root = root(tmp, devname);
        assertSame(root);
        for (String f : List.of("human", "tmpfiles", "devname")) {
            assertSame(root, "--format=" + f);
            assertSame(root, "-f", f);
        }
        KmodTree.Result l = lkmd(root, "-f", "tmpfiles");
        assertTrue(l.outText().contains("d /dev/net 0755 - - -\nc! /dev/net/tun 0600 - - - 10:200\n"), l.outText());
    }

    @Test
    void outputIntoNewNestedDirectories(@TempDir Path tmp) throws Exception {
        String rel = RealTree.release();
        Path root = root(tmp, Files.readAllBytes(Path.of("/lib/modules", rel, "modules.devname")));
        Path kOut = tmp.resolve("k/run/tmpfiles.d/static-nodes.conf");
        Path lOut = tmp.resolve("l/run/tmpfiles.d/static-nodes.conf");
        KmodTree.Result k = kmod(root, "--format=tmpfiles", "--output=" + kOut);
        KmodTree.Result l = lkmd(root, "--format=tmpfiles", "--output=" + lOut);
        assertEquals(0, k.rc(), k.err());
        assertEquals(List.of(k.rc(), k.outText(), k.err()), List.of(l.rc(), l.outText(), l.err()));
        assertEquals(Files.readString(kOut), Files.readString(lOut));
        for (Path d : List.of(lOut.getParent(), lOut.getParent().getParent())) {
            assertEquals(Files.getPosixFilePermissions(kOut.getParent()), Files.getPosixFilePermissions(d), d.toString());
        }
        assertEquals(PosixFilePermissions.fromString("rwxr-xr-x"), Files.getPosixFilePermissions(lOut.getParent()));
        // an existing file is replaced, not appended to
        l = lkmd(root, "-f", "devname", "-o", lOut.toString());
        assertEquals(0, l.rc(), l.err());
        assertEquals(Files.readString(Path.of("/lib/modules", rel, "modules.devname")).lines().filter(s -> !s.startsWith("#")).count(),
                Files.readString(lOut).lines().count());
    }

    @Test
    void handWrittenFileWithCommentsBadLinesBlockDevicesAndNestedNodes(@TempDir Path tmp) throws Exception {
        String text = "# Device nodes to trigger on-demand module loading.\n"
                + "fuse fuse c10:229\n"
                + "bad line here\n"
                + "snd_seq snd/seq c116:1\n"
                + "dm_mod mapper/control c10:236\n"
                + "tun net/tun c10:200\n"
                + "\n"
                + "x y z1:2\n"
                + "loop loop0 b7:0 trailing words\n"
                + "  indented   spaced\tc10:237\n"
                + "deep a/b/c c1:2\n"
                + "wrap wrap c4294967296:-1\n"
                + "colon colon c10 229\n"
                + "m".repeat(5000) + " long c1:2\n"
                + "last last b8:0";
        Path root = root(tmp, text.getBytes(StandardCharsets.ISO_8859_1));
        assertSame(root);
        for (String f : List.of("human", "tmpfiles", "devname")) {
            assertSame(root, "-f", f);
        }
        KmodTree.Result l = lkmd(root, "-f", "devname");
        assertEquals(1, l.rc());
        assertTrue(l.err().startsWith("Error: invalid devname entry: bad line here\n"), l.err());
    }

    @Test
    void missingFileAndBadOptions(@TempDir Path tmp) throws Exception {
        Path missing = root(tmp.resolve("missing"), null);
        assertSame(missing);
        assertSame(missing, "-f", "tmpfiles", "-o", tmp.resolve("never/written.conf").toString());
        assertTrue(Files.notExists(tmp.resolve("never")), "kmod creates nothing when modules.devname is missing");
        Path dirRoot = root(tmp.resolve("directory"), null);
        Files.createDirectory(dirRoot.resolve("lib/modules").resolve(running).resolve("modules.devname"));
        assertSame(dirRoot, "-o", tmp.resolve("from-directory/empty.conf").toString());
        Files.delete(tmp.resolve("from-directory/empty.conf"));
        KmodTree.Result l = lkmd(dirRoot, "-o", tmp.resolve("from-directory/empty.conf").toString());
        assertEquals(0, l.rc(), l.err());
        assertEquals(0, Files.size(tmp.resolve("from-directory/empty.conf")), "an empty output, as kmod's");
        Path root = root(tmp.resolve("present"), "fuse fuse c10:229\n".getBytes(StandardCharsets.US_ASCII));
        assertSame(root, "-f", "bogus");
        assertSame(root, "--format=HUMAN");
        assertSame(root, "-h");
        assertSame(root, "--help");
        assertSame(root, "-h", "-f", "bogus");
        assertSame(root, "-f", "bogus", "-h");
        assertSame(root, "-f", "devname", "--format", "human");
        assertSame(root, "-ftmpfiles");
        assertSame(root, "-o", "/dev/null/x", "-o", "/dev/null/a/x");
        assertSame(root, "-o", "/dev/null/x");
        assertSame(root, "-o", "/dev/null/a/x");
        assertSame(root, "-o", tmp.toString());
        assertSame(root, "-f", "devname", "ignored-operand");
    }
}
