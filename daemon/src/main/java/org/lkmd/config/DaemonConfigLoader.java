package org.lkmd.config;

import org.lkmd.base.ParseResult;

import org.lkmd.base.Diagnostic;

import org.lkmd.base.Root;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the daemon's TOML config. The default file, {@code /etc/lkmd/lkmd.toml} under a root, may
 * be missing (defaults apply); a file named explicitly ({@code lkmd daemon --config FILE}, as the
 * shipped unit does) must exist. A dangling link, a directory, an unreadable or invalid file is
 * always an error naming the file.
 */
public final class DaemonConfigLoader {
    public static final String PATH = "/etc/lkmd/lkmd.toml";

    private DaemonConfigLoader() {
    }

    /** The default file under {@code root}; missing means defaults. */
    public static ParseResult<DaemonConfig> load(Root root) {
        return load(root.resolve(PATH), false);
    }

    /** {@code file}; when {@code required}, a missing file is an error rather than the defaults. */
    public static ParseResult<DaemonConfig> load(Path file, boolean required) {
        try {
            if (Files.isDirectory(file)) {
                return failed(file, "cannot read: is a directory");
            }
            if (Files.size(file) > DaemonConfigParser.MAX_SIZE) {
                return failed(file, "file larger than " + DaemonConfigParser.MAX_SIZE + " bytes");
            }
            return DaemonConfigParser.parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            if (Files.isSymbolicLink(file)) {
                return failed(file, "cannot read: dangling symbolic link");
            }
            if (required) {
                return failed(file, "cannot read: no such file (named with --config)");
            }
            return ParseResult.of(DaemonConfig.defaults(), List.of());
        } catch (java.nio.charset.MalformedInputException e) {
            return failed(file, "cannot read: not UTF-8 text");
        } catch (IOException | RuntimeException e) {
            return failed(file, "cannot read: " + reason(e));
        }
    }

    private static ParseResult<DaemonConfig> failed(Path file, String message) {
        return ParseResult.failed(List.of(Diagnostic.error(file.toString(), 0, message)));
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
