package org.lkmd.depmod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * depmod.d configuration, read as kmod 30's depmod reads it.
 *
 * <h2>Format</h2>
 * Files ending in {@code .conf} from the config dirs (default {@code /etc/depmod.d},
 * {@code /run/depmod.d}, {@code /usr/local/lib/depmod.d}, {@code /lib/depmod.d}; {@code -C} replaces
 * them with one file or dir), merged by file name (the first dir holding a name wins) and read in
 * name order. Lines (a trailing backslash continues a line, {@code #} starts a comment):
 * <ul>
 *   <li>{@code search DIR...}: priority of subdirectories of the module dir, first listed highest;
 *       {@code built-in} stands for everything not listed, {@code external} for the external dirs.
 *       Without any search line: {@code search updates}.</li>
 *   <li>{@code override MODULE KVER SUBDIR}: that module's copy in SUBDIR wins whatever the search
 *       order (KVER is {@code *} or an extended regex matched against the release).</li>
 *   <li>{@code exclude NAME...}: directory entries with that name are not descended into.</li>
 *   <li>{@code external KVER DIR}: an absolute dir searched after the module dir.</li>
 * </ul>
 * Like kmod, the search list is kept most-recently-added first, and a higher list position means a
 * higher priority.
 */
public final class DepmodConfig {
    /** Default config dirs, in kmod's precedence order. */
    public static final List<String> DEFAULT_DIRS = List.of("/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d",
            "/lib/depmod.d");

    /** One {@code search} element. */
    public record Search(String path, boolean builtin, boolean external) {
    }

    private final List<Search> searches = new ArrayList<>(); // most recently added first, as kmod keeps them
    private final List<String> overrides = new ArrayList<>(); // "subdir/modname", most recent first
    private final List<String> excludes = new ArrayList<>();
    private final List<String> externals = new ArrayList<>();

    /** Searches, most recently added first (kmod's list order; index = priority rank). */
    public List<Search> searches() {
        return searches;
    }

    /** Overrides as {@code SUBDIR/MODNAME}, most recent first. */
    public List<String> overrides() {
        return overrides;
    }

    public List<String> excludes() {
        return excludes;
    }

    /** External dirs, in config order. */
    public List<String> externals() {
        return externals;
    }

    /**
     * Loads the configuration.
     *
     * @param paths   config files or dirs, already resolved under the root
     * @param release kernel release, matched by {@code override}/{@code external}
     */
    public static DepmodConfig load(List<Path> paths, String release, DepmodLog log) {
        TreeMap<String, Path> files = new TreeMap<>();
        for (Path p : paths) {
            if (Files.isRegularFile(p)) {
                files.putIfAbsent(p.getFileName().toString(), p);
            } else if (Files.isDirectory(p)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                    for (Path f : ds) {
                        String name = f.getFileName().toString();
                        if (name.startsWith(".")) {
                            continue;
                        }
                        if (name.length() < 6 || !name.endsWith(".conf")) {
                            log.info("All cfg files need .conf: " + p + "/" + name);
                            continue;
                        }
                        if (Files.isDirectory(f)) {
                            log.error("Directories inside directories are not supported: " + p + "/" + name);
                            continue;
                        }
                        files.putIfAbsent(name, f);
                    }
                } catch (IOException e) {
                    log.error("files list " + p + ": " + e.getMessage());
                }
            }
        }
        DepmodConfig cfg = new DepmodConfig();
        for (Path f : files.values()) {
            try {
                cfg.parse(f.toString(), Files.readString(f, StandardCharsets.ISO_8859_1), release, log);
            } catch (IOException e) {
                log.error("file parse " + f + ": " + e.getMessage());
            }
        }
        if (cfg.searches.isEmpty()) {
            cfg.searches.add(0, new Search("updates", false, false));
        }
        return cfg;
    }

    /** Parses one file's text into this configuration. */
    void parse(String filename, String text, String release, DepmodLog log) {
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            int lineno = n + 1;
            StringBuilder sb = new StringBuilder(lines[n]);
            while (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\\' && n + 1 < lines.length) {
                sb.setLength(sb.length() - 1);
                sb.append(lines[++n]);
            }
            String line = sb.toString();
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            String[] w = line.trim().isEmpty() ? new String[0] : line.trim().split("[\t ]+");
            if (w.length == 0) {
                continue;
            }
            switch (w[0]) {
                case "search" -> {
                    for (int i = 1; i < w.length; i++) {
                        searches.add(0, new Search(w[i], w[i].equals("built-in"), w[i].equals("external")));
                    }
                }
                case "override" -> {
                    if (w.length < 4) {
                        log.error(filename + ":" + lineno + ": ignoring bad line starting with '" + w[0] + "'");
                    } else if (!kernelMatches(w[2], release)) {
                        log.info(filename + ":" + lineno + ": override kernel did not match " + w[2]);
                    } else {
                        overrides.add(0, w[3] + "/" + w[1]);
                    }
                }
                case "exclude" -> {
                    for (int i = 1; i < w.length; i++) {
                        excludes.add(w[i]);
                    }
                }
                case "external" -> {
                    if (w.length < 3) {
                        log.error(filename + ":" + lineno + ": ignoring bad line starting with '" + w[0] + "'");
                    } else if (!kernelMatches(w[1], release)) {
                        log.info(filename + ":" + lineno + ": external directory did not match " + w[1]);
                    } else {
                        externals.add(w[2]);
                    }
                }
                case "include", "make_map_files" ->
                        log.info(filename + ":" + lineno + ": command " + w[0] + " not implemented yet");
                default -> log.error(filename + ":" + lineno + ": ignoring bad line starting with '" + w[0] + "'");
            }
        }
    }

    private static boolean kernelMatches(String pattern, String release) {
        if (pattern.equals("*")) {
            return true;
        }
        try {
            return Pattern.compile(pattern).matcher(release).find();
        } catch (PatternSyntaxException e) {
            return false;
        }
    }
}
