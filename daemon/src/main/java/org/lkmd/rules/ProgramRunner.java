package org.lkmd.rules;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Runs a PROGRAM match for the rules engine. Implementations are thread-safe. */
public interface ProgramRunner {

    /**
     * Runs {@code argv} (already split, no shell) with exactly {@code env} as its environment.
     *
     * @return its standard output when it exited with status 0; empty when it could not be
     *         started, failed, was killed or timed out
     */
    Optional<String> run(List<String> argv, Map<String, String> env);
}
