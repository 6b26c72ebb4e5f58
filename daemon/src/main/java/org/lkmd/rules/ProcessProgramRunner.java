package org.lkmd.rules;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs PROGRAM commands as child processes: no shell; a program name without a slash is looked
 * up in the helper directories (udev looks in {@code /usr/lib/udev}); stdin is {@code /dev/null},
 * stderr is discarded; the environment is the event's properties only. Bounds: the process is
 * killed after {@code timeout} (the match then fails); output beyond {@code maxOutput} bytes is
 * read and thrown away (the result is cut there), so a chatty program cannot block or fill memory.
 */
public final class ProcessProgramRunner implements ProgramRunner {
    private static final Logger log = LoggerFactory.getLogger(ProcessProgramRunner.class);

    /** udev's limit on a PROGRAM result. */
    public static final int DEFAULT_MAX_OUTPUT = RulesParser.LINE_MAX;

    private final Duration timeout;
    private final int maxOutput;
    private final List<Path> helperDirs;

    public ProcessProgramRunner(Duration timeout, int maxOutput, List<Path> helperDirs) {
        this.timeout = timeout;
        this.maxOutput = maxOutput;
        this.helperDirs = List.copyOf(helperDirs);
    }

    /** 10 s, udev's output limit, helpers in {@code /usr/lib/lkmd} then {@code /usr/lib/udev}. */
    public static ProcessProgramRunner defaults() {
        return new ProcessProgramRunner(Duration.ofSeconds(10), DEFAULT_MAX_OUTPUT,
                List.of(Path.of("/usr/lib/lkmd"), Path.of("/usr/lib/udev")));
    }

    @Override
    public Optional<String> run(List<String> argv, Map<String, String> env) {
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(argv);
        if (!cmd.get(0).contains("/")) {
            Optional<Path> found = helperDirs.stream().map(d -> d.resolve(cmd.get(0)))
                    .filter(Files::isExecutable).findFirst();
            if (found.isEmpty()) {
                log.warn("Failed to run program {}: not found in {}, ignoring", cmd.get(0), helperDirs);
                return Optional.empty();
            }
            cmd.set(0, found.get().toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            log.warn("Failed to run program {}: {}, ignoring", cmd.get(0), e.getMessage());
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(p.getInputStream(), out), "lkmd-program-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                log.warn("Failed to run program {}: timed out after {} ms, killed", cmd.get(0), timeout.toMillis());
                return Optional.empty();
            }
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (p.exitValue() != 0) {
            log.debug("Program {} exited with status {}", cmd.get(0), p.exitValue());
            return Optional.empty();
        }
        synchronized (out) {
            return Optional.of(out.toString(StandardCharsets.ISO_8859_1));
        }
    }

    private void drain(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    int room = maxOutput - out.size();
                    if (room > 0) {
                        out.write(buf, 0, Math.min(room, n));
                    }
                }
            }
        } catch (IOException e) {
            // the process went away: keep what was read
        }
    }
}
