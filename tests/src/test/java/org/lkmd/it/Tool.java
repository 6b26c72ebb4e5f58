package org.lkmd.it;

import org.lkmd.cli.CliContext;
import org.lkmd.cli.Main;
import org.lkmd.base.Root;
import org.lkmd.kernel.SimulatedKernel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command and keeps what it printed: kmod's as a process, lkmd's in-process through {@link Main}. */
record Tool(int rc, String out, String err) {

    /** Runs a process (stdin closed, environment cleaned of MODPROBE_OPTIONS). */
    static Tool exec(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("MODPROBE_OPTIONS");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            Path errFile = java.nio.file.Files.createTempFile("tool", ".err");
            pb.redirectError(errFile.toFile());
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + cmd);
            }
            String err = java.nio.file.Files.readString(errFile);
            java.nio.file.Files.delete(errFile);
            return new Tool(p.exitValue(), new String(out, StandardCharsets.UTF_8), err);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code lkmd ARGS} in this JVM, with a simulated kernel over each root and a fixed environment. */
    static Tool lkmd(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            CliContext ctx = new CliContext(o, e,
                    (Root root, String rel) -> SimulatedKernel.on(root)
                            .release(rel != null ? rel : RealTree.release()).build(), env);
            int rc = Main.run(ctx, args);
            return new Tool(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    static Tool lkmd(String... args) {
        return lkmd(Map.of(), args);
    }

    static List<String> list(String... s) {
        return new ArrayList<>(List.of(s));
    }
}
