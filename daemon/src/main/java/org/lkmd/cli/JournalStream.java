package org.lkmd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Whether this process's stderr is the systemd journal: systemd sets {@code $JOURNAL_STREAM} to
 * {@code DEVICE:INODE} of the stream it connected, and the variable is inherited by children whose
 * stderr may be elsewhere, so the stream itself is compared.
 */
final class JournalStream {
    private JournalStream() {
    }

    static boolean isStderr(String journalStream) {
        if (journalStream == null || journalStream.isEmpty()) {
            return false;
        }
        try {
            Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
            return matches(journalStream, (Long) a.get("dev"), (Long) a.get("ino"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return false; // not provably the journal: plain lines are always readable
        }
    }

    static boolean matches(String journalStream, long dev, long ino) {
        return journalStream.equals(Long.toUnsignedString(dev) + ":" + Long.toUnsignedString(ino));
    }
}
