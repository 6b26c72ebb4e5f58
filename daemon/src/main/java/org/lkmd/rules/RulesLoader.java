package org.lkmd.rules;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the rules files and parses them into a {@link RuleSet}: the {@code *.rules} files (names
 * not starting with '.') of {@link #DIRS} under the root, sorted by name (byte order) across
 * directories; a name in an earlier directory hides the same name in later ones; a symlink to
 * {@code /dev/null} or an empty file hides it and gives no rules. Bounds: a file larger than
 * {@link #MAX_FILE} is skipped (error); line bounds are the parser's ({@link RulesParser#LINE_MAX}).
 *
 * <p><b>When loading fails.</b> The result is {@linkplain ParseResult#failed failed} (no value:
 * the daemon keeps its previous set) only when lkmd cannot know which rules are meant: a rules
 * directory that exists but cannot be listed, or a chosen rules file that cannot be read (I/O
 * error, permission). Loading a subset then would silently change policy for every device.
 * Everything about the contents — bad lines, a file over the size bound, a file with an
 * over-long line — costs only those lines or that file, reported as diagnostics, and the set
 * loads. Missing directories are normal; no rules at all is a valid (empty) set.
 */
public final class RulesLoader {
    /** Rules directories, highest priority first. */
    public static final List<String> DIRS = List.of("/etc/lkmd/rules.d", "/run/lkmd/rules.d", "/usr/lib/lkmd/rules.d");

    /** Largest rules file read. */
    public static final long MAX_FILE = 4L << 20;

    private RulesLoader() {
    }

    /** Loads the rules of {@link #DIRS} under {@code root}; diagnostics name files by their system path. */
    public static ParseResult<RuleSet> load(Root root) {
        List<Dir> dirs = new ArrayList<>();
        for (String d : DIRS) {
            dirs.add(new Dir(root.resolve(d), d));
        }
        return loadDirs(dirs);
    }

    /**
     * The warning for a rule set of {@link #load(Root)} that holds no rule (none installed, all masked
     * or all bad): lkmd then loads no module for any device. Empty when there are rules.
     */
    public static List<Diagnostic> noRulesWarning(RuleSet set) {
        if (set.size() > 0) {
            return List.of();
        }
        return List.of(Diagnostic.warning(String.join(", ", DIRS), 0,
                "no rules: lkmd loads no module for any device (the package's rules are /usr/lib/lkmd/rules.d/80-lkmd-drivers.rules)"));
    }

    /** Loads the rules of the given directories (highest priority first), named by their real paths. */
    public static ParseResult<RuleSet> load(List<Path> dirs) {
        return loadDirs(dirs.stream().map(p -> new Dir(p, p.toString())).toList());
    }

    private record Dir(Path path, String name) {
    }

    private record Chosen(Path path, String name, boolean masked) {
    }

    private static ParseResult<RuleSet> loadDirs(List<Dir> dirs) {
        List<Diagnostic> fatal = new ArrayList<>();
        Map<String, Chosen> files = new TreeMap<>(RulesLoader::byteOrder);
        RulesParser parser = new RulesParser();
        for (Dir dir : dirs) {
            // A missing directory is normal (few systems have all three). One that is there but
            // cannot be listed (a symlink loop, not a directory, no permission) fails the set, so
            // a reload keeps the rules it has instead of swapping in an empty set without a word.
            if (Files.notExists(dir.path)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.path)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".") || !name.endsWith(".rules") || files.containsKey(name)) {
                        continue;
                    }
                    String shown = dir.name + "/" + name;
                    if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().equals("/dev/null")) {
                        files.put(name, new Chosen(p, shown, true));
                    } else if (Files.isDirectory(p)) {
                        parser.report(Diagnostic.warning(shown, 0, "is a directory, ignored"));
                    } else {
                        files.put(name, new Chosen(p, shown, false));
                    }
                }
            } catch (NoSuchFileException e) {
                // removed while we looked: as if missing
            } catch (IOException e) {
                fatal.add(Diagnostic.error(dir.name, 0, "Failed to list rules directory: " + reason(e)));
            }
        }
        for (Chosen c : files.values()) {
            if (c.masked) {
                continue;
            }
            try {
                long size = Files.size(c.path);
                if (size == 0) {
                    continue;
                }
                if (size > MAX_FILE) {
                    parser.report(Diagnostic.error(c.name, 0, "file larger than " + (MAX_FILE >> 20) + " MiB, ignored"));
                    continue;
                }
                String text = new String(Files.readAllBytes(c.path), StandardCharsets.ISO_8859_1);
                parser.add(c.name, text);
            } catch (NoSuchFileException e) {
                parser.report(Diagnostic.warning(c.name, 0, "removed while loading, ignored"));
            } catch (IOException e) {
                fatal.add(Diagnostic.error(c.name, 0, "Failed to read rules file: " + reason(e)));
            }
        }
        ParseResult<RuleSet> result = parser.finish();
        if (!fatal.isEmpty()) {
            List<Diagnostic> all = new ArrayList<>(result.diagnostics());
            all.addAll(fatal);
            return ParseResult.failed(all);
        }
        return result;
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m != null ? " " + m : "");
    }

    private static int byteOrder(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
