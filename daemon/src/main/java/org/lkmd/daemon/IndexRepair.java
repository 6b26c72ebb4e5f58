package org.lkmd.daemon;

import org.lkmd.base.Root;
import org.lkmd.depmod.Depmod;
import org.lkmd.depmod.DepmodConfig;
import org.lkmd.depmod.DepmodLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A module index that is missing or stale, rebuilt with lkmd's own depmod. Stale: {@code modules.dep}
 * ({@code .bin} when present) older than the newest module file, or than {@code modules.order} or
 * {@code modules.builtin} (which a kernel package or build installs with its modules). A rebuild that
 * fails (a read-only tree, say) is one error naming the directory; the daemon goes on with the index it
 * has. When the index is missing, the snapshot's own error already says so (and names the file), so a
 * failed rebuild then adds only a warning with the reason: one error per problem. Used at start ({@link SelfHeal}) and on changes to the module directory ({@link Reloader}).
 */
final class IndexRepair {
    private static final Logger log = LoggerFactory.getLogger(IndexRepair.class);
    /** Files installed with a module tree, before depmod runs: an index older than they are predates them. */
    private static final List<String> TREE_FILES = List.of("modules.order", "modules.builtin");

    private final Root root;
    private final Path modulesDir;
    private final String release;

    IndexRepair(Root root, Path modulesDir, String release) {
        this.root = root;
        this.modulesDir = modulesDir;
        this.release = release;
    }

    Path modulesDir() {
        return modulesDir;
    }

    /** Why the index needs rebuilding, or empty when it is current (or there is nothing to index). */
    Optional<String> staleness() throws IOException {
        Path dep = Files.exists(modulesDir.resolve("modules.dep.bin")) ? modulesDir.resolve("modules.dep.bin")
                : modulesDir.resolve("modules.dep");
        if (!Files.isDirectory(modulesDir)) {
            return Optional.empty();
        }
        Path real = modulesDir.toRealPath();
        FileTime newest = null;
        Path newestFile = null;
        try (Stream<Path> s = Files.walk(real, 16, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.endsWith(".ko") || n.contains(".ko.")) {
                    FileTime t = Files.getLastModifiedTime(p);
                    if (newest == null || t.compareTo(newest) > 0) {
                        newest = t;
                        newestFile = p;
                    }
                }
            }
        }
        if (newest == null) {
            return Optional.empty(); // no module: nothing to index
        }
        if (!Files.exists(dep)) {
            return Optional.of(dep.getFileName() + " missing");
        }
        FileTime depTime = Files.getLastModifiedTime(dep);
        if (depTime.compareTo(newest) < 0) {
            return Optional.of(dep.getFileName() + " older than " + real.relativize(newestFile));
        }
        for (String f : TREE_FILES) {
            Path p = real.resolve(f);
            if (Files.exists(p) && depTime.compareTo(Files.getLastModifiedTime(p)) < 0) {
                return Optional.of(dep.getFileName() + " older than " + f);
            }
        }
        return Optional.empty();
    }

    private void failed(String why, String reason) {
        if (why.endsWith(" missing")) {
            log.warn("Failed to rebuild the module index in {}: {}; running without it", modulesDir, reason);
        } else {
            log.error("Failed to rebuild the module index in {}: {}", modulesDir, reason);
        }
    }

    /** Runs lkmd's depmod when the index is stale; true when it rebuilt one. */
    boolean rebuildIfStale() {
        Optional<String> why;
        try {
            why = staleness();
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("Failed to check the module index in {}: {}, ignoring", modulesDir, e.getMessage());
            return false;
        }
        if (why.isEmpty()) {
            return false;
        }
        log.info("Rebuilding the module index in {}: {}", modulesDir, why.get());
        ByteArrayOutputStream msgs = new ByteArrayOutputStream();
        List<Path> conf = new ArrayList<>();
        DepmodConfig.DEFAULT_DIRS.forEach(d -> conf.add(root.resolve(d)));
        Depmod.Options opt = new Depmod.Options(modulesDir, modulesDir.toString(), modulesDir, modulesDir.toString(),
                release, conf, null, null, false, false, false, false, (char) 0, root::resolve, List.of());
        try (PrintStream err = new PrintStream(msgs, true, StandardCharsets.UTF_8)) {
            int rc = new Depmod(opt, new DepmodLog(err, 0), new PrintStream(java.io.OutputStream.nullOutputStream())).run();
            String text = msgs.toString(StandardCharsets.UTF_8).strip();
            if (rc != 0) {
                failed(why.get(), "depmod exit status " + rc + (text.isEmpty() ? "" : ": " + text.replace('\n', ' ')));
                return false;
            }
            if (!text.isEmpty()) {
                log.warn("depmod: {}", text);
            }
            log.info("Rebuilt the module index in {}", modulesDir);
            return true;
        } catch (IOException e) {
            failed(why.get(), e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
