package org.lkmd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads {@code /etc/lkmd/lkmd.toml} under a root: missing means defaults, unreadable is an error. */
public final class DaemonConfigLoader {
    public static final String PATH = "/etc/lkmd/lkmd.toml";

    private DaemonConfigLoader() {
    }

    public static ParseResult<DaemonConfig> load(Root root) {
        Path p = root.resolve(PATH);
        try {
            if (Files.size(p) > DaemonConfigParser.MAX_SIZE) {
                return ParseResult.failed(List.of(Diagnostic.error(p.toString(), 0,
                        "file larger than " + DaemonConfigParser.MAX_SIZE + " bytes")));
            }
            return DaemonConfigParser.parse(p.toString(), Files.readString(p, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return ParseResult.of(DaemonConfig.defaults(), List.of());
        } catch (IOException | RuntimeException e) {
            return ParseResult.failed(List.of(Diagnostic.error(p.toString(), 0, "cannot read: " + e.getMessage())));
        }
    }
}
