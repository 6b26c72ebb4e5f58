package org.lkmd.daemon;

import org.lkmd.base.Root;
import org.lkmd.modprobe.ModprobeConfigLoader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the files a snapshot's modprobe side is read from looked like: kmod's and lkmd's modprobe.d
 * directories and the module directory's {@code modules.*} files, each with its modification time
 * and size (a directory's own time changes when a file is added, removed or renamed in it). Taken
 * before the files are read, so a change while they are read shows too. kmod's modprobe reads the
 * files at every run: a person's call answered from a snapshot whose inputs have changed since
 * would not be what kmod does.
 *
 * @param stamps path to its modification time in ns and size; a missing path maps to an empty list,
 *               one that could not be read (or a directory that could not be listed) to {@code [-1]}
 */
public record ModprobeInputs(Map<Path, List<Long>> stamps) {
    public ModprobeInputs {
        stamps = Map.copyOf(stamps);
    }

    /** The inputs as they are now. */
    public static ModprobeInputs of(Root root, Path modulesDir) {
        Map<Path, List<Long>> stamps = new TreeMap<>();
        List<Path> dirs = new ArrayList<>();
        ModprobeConfigLoader.DIRS.forEach(d -> dirs.add(root.resolve(d)));
        ModprobeConfigLoader.LKMD_DIRS.forEach(d -> dirs.add(root.resolve(d)));
        dirs.forEach(d -> stampDir(d, "", stamps));
        if (modulesDir != null) {
            stampDir(modulesDir, "modules.", stamps);
        }
        return new ModprobeInputs(stamps);
    }

    /**
     * True when one of the paths taken differs now. A file added to or removed from a directory
     * changes the directory's time, so the directories are not listed again (a change within the
     * same tick of the file-time clock as the taking, a few ms, can go unseen).
     */
    public boolean changed() {
        for (Map.Entry<Path, List<Long>> e : stamps.entrySet()) {
            if (!stampOf(e.getKey()).equals(e.getValue())) {
                return true;
            }
        }
        return false;
    }

    /** The directory itself and its entries whose names start with {@code prefix}, followed through symlinks. */
    private static void stampDir(Path dir, String prefix, Map<Path, List<Long>> stamps) {
        List<Long> own = stampOf(dir);
        stamps.put(dir, own);
        if (own.size() != 2) {
            return; // missing (it holds nothing; one that appears changes this entry) or unreadable
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            entries.forEach(p -> stamps.put(p, stampOf(p)));
        } catch (IOException e) {
            stamps.put(dir, List.of(-1L)); // never equal again: its calls go to the caller's tool
        }
    }

    private static List<Long> stampOf(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size());
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            return List.of(-1L);
        }
    }
}
