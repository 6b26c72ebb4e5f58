package org.lkmd.config;

import org.lkmd.base.Severity;

import org.lkmd.base.ParseResult;

import org.lkmd.base.Diagnostic;

import org.lkmd.base.ModuleNames;
import com.moandjiezana.toml.TomlTables;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses {@code lkmd.toml} (text in, no I/O). Invalid TOML or a value of the wrong type or out
 * of range makes the whole file unusable (an error naming file and line; the caller keeps what it
 * had, or exits 2 at start); an unknown table or key is a warning and is ignored.
 *
 * <pre>
 * [coldplug] mode = "trigger" | "scan" | "off"
 * [events]   workers = 0 (auto), queue_capacity = 8192, timeout = 180 (s)
 * [netlink]  receive_buffer = 134217728 (bytes)
 * [loader]   hook_timeout = 30 (s)
 * [log]      level = "info"
 * [reload]   watch = true, rebuild_index = true, debounce_ms = 500
 * [autoclean] enabled = false, idle_minutes = 30, keep = ["module", ...]
 * </pre>
 */
public final class DaemonConfigParser {
    /** Largest config file accepted. */
    public static final int MAX_SIZE = 1 << 20;

    private static final Map<String, Set<String>> KEYS = Map.of(
            "coldplug", Set.of("mode"),
            "events", Set.of("workers", "queue_capacity", "timeout"),
            "netlink", Set.of("receive_buffer"),
            "loader", Set.of("hook_timeout"),
            "log", Set.of("level"),
            "reload", Set.of("watch", "rebuild_index", "debounce_ms"),
            "autoclean", Set.of("enabled", "idle_minutes", "keep"));

    private DaemonConfigParser() {
    }

    public static ParseResult<DaemonConfig> parse(String file, String text) {
        List<Diagnostic> diags = new ArrayList<>();
        if (text.length() > MAX_SIZE) {
            diags.add(Diagnostic.error(file, 0, "file larger than " + MAX_SIZE + " bytes"));
            return ParseResult.failed(diags);
        }
        Map<String, Object> toml;
        try {
            toml = TomlTables.parse(text);
        } catch (RuntimeException e) {
            diags.add(Diagnostic.error(file, lineOf(e.getMessage()), "invalid TOML: " + String.valueOf(e.getMessage()).strip()));
            return ParseResult.failed(diags);
        }
        for (Map.Entry<String, Object> table : toml.entrySet()) {
            Set<String> known = KEYS.get(table.getKey());
            if (known == null) {
                diags.add(Diagnostic.warning(file, find(text, null, table.getKey()),
                        "unknown setting '" + table.getKey() + "', ignored"));
                continue;
            }
            if (!(table.getValue() instanceof Map<?, ?> m)) {
                diags.add(Diagnostic.error(file, find(text, null, table.getKey()), "'" + table.getKey()
                        + "' must be a table: [" + table.getKey() + "] on a line of its own, its settings below it"));
                continue;
            }
            for (Object k : m.keySet()) {
                if (!known.contains(k.toString())) {
                    diags.add(Diagnostic.warning(file, find(text, table.getKey(), k.toString()),
                            "unknown setting '" + table.getKey() + "." + k + "', ignored"));
                }
            }
        }
        DaemonConfig d = DaemonConfig.defaults();
        Values v = new Values(file, text, toml, diags);
        String mode = v.string("coldplug", "mode", d.coldplug().name().toLowerCase(Locale.ROOT));
        DaemonConfig.ColdplugMode coldplug = d.coldplug();
        try {
            coldplug = DaemonConfig.ColdplugMode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            v.error("coldplug", "mode", "must be \"trigger\", \"scan\" or \"off\", not \"" + mode + "\"");
        }
        int workers = (int) v.number("events", "workers", d.workers(), 0, 1024);
        int capacity = (int) v.number("events", "queue_capacity", d.queueCapacity(), 16, 1 << 20);
        long timeout = v.number("events", "timeout", d.eventTimeout().toSeconds(), 1, 86_400);
        int rcvbuf = (int) v.number("netlink", "receive_buffer", d.receiveBuffer(), 64 << 10, 1L << 30);
        long hook = v.number("loader", "hook_timeout", d.hookTimeout().toSeconds(), 1, 3_600);
        String level = v.string("log", "level", d.logLevel()).toLowerCase(Locale.ROOT);
        if (!Set.of("error", "warn", "info", "debug", "trace").contains(level)) {
            v.error("log", "level", "must be error, warn, info, debug or trace, not \"" + level + "\"");
        }
        boolean watch = v.bool("reload", "watch", d.reload().watch());
        boolean rebuild = v.bool("reload", "rebuild_index", d.reload().rebuildIndex());
        long debounce = v.number("reload", "debounce_ms", d.reload().debounce().toMillis(), 0, 60_000);
        boolean clean = v.bool("autoclean", "enabled", d.autoclean().enabled());
        long idle = v.number("autoclean", "idle_minutes", d.autoclean().idle().toMinutes(), 0, 525_600);
        List<String> keep = v.names("autoclean", "keep");
        DaemonConfig c = new DaemonConfig(coldplug, workers, capacity, Duration.ofSeconds(timeout), rcvbuf,
                Duration.ofSeconds(hook), level, new DaemonConfig.Reload(watch, rebuild, Duration.ofMillis(debounce)),
                new DaemonConfig.Autoclean(clean, Duration.ofMinutes(idle), keep));
        return diags.stream().anyMatch(x -> x.severity() == Severity.ERROR)
                ? ParseResult.failed(diags) : ParseResult.of(c, diags);
    }

    /** Typed reads with range checks; a bad value is an error at its line. */
    private record Values(String file, String text, Map<String, Object> toml, List<Diagnostic> diags) {
        String string(String table, String key, String dflt) {
            Object o = raw(table, key);
            if (o == null) {
                return dflt;
            }
            if (o instanceof String s) {
                return s;
            }
            error(table, key, "must be a string");
            return dflt;
        }

        long number(String table, String key, long dflt, long min, long max) {
            Object o = raw(table, key);
            if (o == null) {
                return dflt;
            }
            if (!(o instanceof Long l)) {
                error(table, key, "must be a whole number");
                return dflt;
            }
            if (l < min || l > max) {
                error(table, key, "must be between " + min + " and " + max + ", not " + l);
                return dflt;
            }
            return l;
        }

        boolean bool(String table, String key, boolean dflt) {
            Object o = raw(table, key);
            if (o == null) {
                return dflt;
            }
            if (o instanceof Boolean b) {
                return b;
            }
            error(table, key, "must be true or false");
            return dflt;
        }

        /** An array of module names (normalized: '-' and '_' are the same in module names). */
        List<String> names(String table, String key) {
            Object o = raw(table, key);
            if (o == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            if (o instanceof List<?> l) {
                for (Object x : l) {
                    if (x instanceof String s && !s.isBlank() && s.matches("[A-Za-z0-9_-]+")) {
                        out.add(ModuleNames.normalizeName(s));
                    } else {
                        error(table, key, "must list module names, not " + x);
                        return List.of();
                    }
                }
                return out;
            }
            error(table, key, "must be an array of module names");
            return List.of();
        }

        private Object raw(String table, String key) {
            return toml.get(table) instanceof Map<?, ?> t ? t.get(key) : null;
        }

        void error(String table, String key, String message) {
            diags.add(Diagnostic.error(file, find(text, table, key), table + "." + key + " " + message));
        }
    }

    private static int lineOf(String message) {
        if (message == null) {
            return 0;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("line (\\d+)").matcher(message);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * The line where {@code key} is set inside {@code [table]}; with table null, where table
     * {@code key} starts or top-level {@code key} is set; 0 if unknown.
     */
    static int find(String text, String table, String key) {
        String[] lines = text.split("\n", -1);
        String current = null;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.startsWith("[") && l.endsWith("]")) {
                current = l.substring(1, l.length() - 1).strip();
                if (table == null && current.equals(key)) {
                    return i + 1;
                }
                continue;
            }
            if (java.util.Objects.equals(table, current) && l.matches("\"?" + java.util.regex.Pattern.quote(key) + "\"?\\s*=.*")) {
                return i + 1;
            }
        }
        return 0;
    }
}
