package org.lkmd.rules;

import org.lkmd.process.ChildProcess;
import org.lkmd.process.HelperDirs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs PROGRAM commands as child processes: no shell; a program name without a slash is looked
 * up in the helper directories ({@link HelperDirs}); stdin is {@code /dev/null}, stderr is
 * discarded; the environment is the event's properties only. Bounds: the process and everything
 * it started are killed after {@code timeout} (the match then fails); output beyond
 * {@code maxOutput} bytes is read and thrown away (the result is cut there), so a chatty program
 * cannot block or fill memory.
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

    /** 10 s, udev's output limit, the helper directories of {@link HelperDirs#DEFAULT}. */
    public static ProcessProgramRunner defaults() {
        return new ProcessProgramRunner(Duration.ofSeconds(10), DEFAULT_MAX_OUTPUT, HelperDirs.DEFAULT);
    }

    @Override
    public Optional<String> run(List<String> argv, Map<String, String> env) {
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            return Optional.empty();
        }
        Optional<Path> program = HelperDirs.resolve(argv.get(0), helperDirs);
        if (program.isEmpty()) {
            log.warn("Failed to run program {}: not found in {}, ignoring", argv.get(0), helperDirs);
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(argv);
        cmd.set(0, program.get().toString());
        ChildProcess.Result r = ChildProcess.of(cmd).withEnvironment(env).withTimeout(timeout)
                .withStdout(ChildProcess.Output.capture(maxOutput)).withStderr(ChildProcess.Output.DISCARD).run();
        return switch (r.ended()) {
            case NOT_STARTED -> {
                log.warn("Failed to run program {}: {}, ignoring", cmd.get(0), r.error());
                yield Optional.empty();
            }
            case KILLED -> {
                log.warn("Failed to run program {}: timed out after {} ms, {}", cmd.get(0), timeout.toMillis(), r.killed());
                yield Optional.empty();
            }
            case INTERRUPTED -> Optional.empty();
            case EXITED -> {
                if (r.exitStatus() != 0) {
                    log.debug("Program {} exited with status {}", cmd.get(0), r.exitStatus());
                    yield Optional.empty();
                }
                yield Optional.of(new String(r.output(), StandardCharsets.ISO_8859_1));
            }
        };
    }
}
