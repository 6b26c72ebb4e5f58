package org.lkmd.loader;

import org.lkmd.kernel.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's memory of inserts that failed for a reason retrying will not change, so that a
 * repeated uevent or kernel request (every CPU's uevent asks for {@code amd64_edac} again) is
 * answered with the same failure instead of another {@code finit_module}.
 *
 * <p>What is cached: an insert of one module file whose errno is one the kernel gives again for the
 * same file and options on the same boot ({@link #CACHEABLE}): ENODEV (the module's init found no
 * device), ENOENT (the file is missing, or an unknown symbol or parameter), ENOEXEC (bad format),
 * EKEYREJECTED / EBADMSG (signature refused under enforcement), EPERM (lockdown or
 * {@code kernel.modules_disabled}, both one-way until reboot), ENOSYS (no module support). Never
 * cached: transient errors (EBUSY, EAGAIN, ENOMEM, EINTR, ETIMEDOUT and anything else), and install
 * commands, whose exit depends on whatever the command reads.
 *
 * <p>An entry is keyed on what identifies the attempt: the module, its file and its options; it
 * also holds the file's identity (size, modification time, inode) as it was tried, and is dropped
 * when the file differs. {@link #clear()} is for reloads. Entries are immutable and swapped whole;
 * every method is thread-safe. Bounded at {@link #MAX_ENTRIES}: a failure beyond is not remembered.
 */
public final class FailureCache {
    /** At most this many failures are remembered. */
    public static final int MAX_ENTRIES = 4096;

    static final Set<Errno> CACHEABLE = Set.of(Errno.ENODEV, Errno.ENOENT, Errno.ENOEXEC, Errno.EKEYREJECTED,
            Errno.EBADMSG, Errno.EPERM, Errno.ENOSYS);

    /** What identifies one attempt. */
    public record Key(String module, Path path, String options) {
        public Key {
            options = options == null ? "" : options;
        }
    }

    /** A file as it was tried: absent, or its size, modification time and inode. */
    public record FileId(boolean exists, long size, long modifiedNanos, Object inode) {
        static final FileId ABSENT = new FileId(false, -1, -1, null);

        static FileId of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                long t = a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
                        + a.lastModifiedTime().toInstant().getNano();
                return new FileId(true, a.size(), t, a.fileKey());
            } catch (IOException e) {
                return ABSENT;
            }
        }
    }

    /**
     * One remembered failure.
     *
     * @param first    when the insert failed
     * @param last     when a request was last answered from this entry (or {@code first})
     * @param answered how many requests were answered from it
     */
    public record Entry(Key key, FileId file, Errno errno, String message, Instant first, Instant last, long answered) {
        Entry answeredAt(Instant when) {
            return new Entry(key, file, errno, message, first, when, answered + 1);
        }
    }

    private final Clock clock;
    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();

    public FailureCache(Clock clock) {
        this.clock = clock;
    }

    /** True when an insert failing with this errno fails again when retried unchanged. */
    public static boolean cacheable(Errno errno) {
        return errno != null && CACHEABLE.contains(errno);
    }

    /** The file's identity now, to be taken before an attempt and handed to {@link #remember}. */
    public static FileId identify(Path file) {
        return FileId.of(file);
    }

    /**
     * The failure to answer for this attempt, counted as answered; empty when none is remembered or
     * the file changed since (the stale entry is then dropped).
     */
    public Optional<Entry> answer(Key key) {
        Entry e = entries.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (!e.file().equals(FileId.of(key.path()))) {
            entries.remove(key, e);
            return Optional.empty();
        }
        Entry now = entries.computeIfPresent(key, (k, old) -> old.file().equals(e.file()) ? old.answeredAt(clock.instant()) : old);
        return Optional.ofNullable(now);
    }

    /** Remembers a failed attempt when its errno is {@link #cacheable}; true when it did. */
    public boolean remember(Key key, FileId file, Errno errno, String message) {
        if (!cacheable(errno) || entries.size() >= MAX_ENTRIES && !entries.containsKey(key)) {
            return false;
        }
        Instant t = clock.instant();
        entries.put(key, new Entry(key, file, errno, message, t, t, 0));
        return true;
    }

    /** Forgets everything (a reload: the configuration or the module tree may have changed). */
    public void clear() {
        entries.clear();
    }

    /** What is remembered, oldest failure first. */
    public List<Entry> entries() {
        return entries.values().stream().sorted(Comparator.comparing(Entry::first)
                .thenComparing(e -> e.key().module())).toList();
    }
}
