package org.lkmd.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code lkmd settle}: waits until the daemon's event queue is empty ({@code /run/lkmd/queue} is
 * gone), as {@code udevadm settle} waits for {@code /run/udev/queue}. Exit 0 when settled, 1 on
 * timeout.
 */
@Command(name = "settle", description = "Wait until the daemon has handled every queued event.")
public final class Settle extends Verb {
    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", description = "Give up after SECONDS (default 120).")
    double timeout = 120;

    @Option(names = {"-E", "--exit-if-exists"}, paramLabel = "FILE", description = "Stop waiting when FILE exists.")
    Path exitIfExists;

    @Override
    public Integer call() throws InterruptedException {
        Path queue = root().resolve("/run/lkmd/queue");
        long deadline = System.nanoTime() + (long) (timeout * 1e9);
        while (true) {
            if (exitIfExists != null && Files.exists(exitIfExists)) {
                return 0;
            }
            if (!Files.exists(queue)) {
                return 0;
            }
            if (System.nanoTime() >= deadline) {
                err().println("lkmd settle: timed out waiting for the event queue to empty");
                return 1;
            }
            Thread.sleep(20);
        }
    }
}
