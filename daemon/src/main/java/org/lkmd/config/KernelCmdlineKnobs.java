package org.lkmd.config;

import org.lkmd.base.CmdlineWords;
import org.lkmd.base.Diagnostic;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The daemon's settings on the kernel command line, as udevd reads {@code udev.log_level=} and
 * {@code udev.children_max=}: {@code lkmd.log_level=LEVEL} (see {@link LogLevel}),
 * {@code lkmd.children_max=N} (0 = automatic, as {@code workers = 0} in lkmd.toml; at most
 * {@code max}) and {@code lkmd.coldplug=trigger|scan|off}. As in systemd, {@code -} and {@code _}
 * are the same in a key, and a later word wins over an earlier one. {@code rd.lkmd.*} words are for
 * an initramfs, where lkmd never runs: they are ignored (udevd takes {@code rd.udev.*} only inside
 * the initramfs). An unknown {@code lkmd.*} key, a key without a value, or a bad value gets one
 * warning naming the word and the setting keeps its value. Words are split as
 * {@link CmdlineWords} splits them. Parsing only; no I/O.
 *
 * @param logLevel    the logback level name asked for
 * @param childrenMax the event workers asked for (0 = automatic)
 * @param coldplug    the coldplug mode asked for
 * @param warnings    one per word that was not applied, as {@code FILE: ...}
 */
public record KernelCmdlineKnobs(Optional<String> logLevel, OptionalInt childrenMax,
                                 Optional<DaemonConfig.ColdplugMode> coldplug, List<Diagnostic> warnings) {
    public static final String PREFIX = "lkmd.";

    public KernelCmdlineKnobs {
        warnings = List.copyOf(warnings);
    }

    /** No setting from the command line (no {@code /proc/cmdline}, or nothing for lkmd in it). */
    public static KernelCmdlineKnobs none() {
        return new KernelCmdlineKnobs(Optional.empty(), OptionalInt.empty(), Optional.empty(), List.of());
    }

    /**
     * @param file    where the text came from, for the warnings ({@code /proc/cmdline})
     * @param cmdline the command line's text
     * @param max     the largest {@code children_max} accepted
     */
    public static KernelCmdlineKnobs parse(String file, String cmdline, int max) {
        Optional<String> level = Optional.empty();
        OptionalInt children = OptionalInt.empty();
        Optional<DaemonConfig.ColdplugMode> coldplug = Optional.empty();
        List<Diagnostic> warnings = new ArrayList<>();
        for (String word : CmdlineWords.split(cmdline)) {
            String w = word.replace("\"", "");
            if (!w.startsWith(PREFIX)) {
                continue;
            }
            int eq = w.indexOf('=');
            String key = (eq < 0 ? w : w.substring(0, eq)).replace('-', '_');
            String value = eq < 0 ? null : w.substring(eq + 1);
            String name = key.substring(PREFIX.length());
            if (!name.equals("log_level") && !name.equals("children_max") && !name.equals("coldplug")) {
                warnings.add(Diagnostic.warning(file, 0, "unknown lkmd kernel command line option \"" + key
                        + "\", ignoring"));
                continue;
            }
            if (value == null || value.isEmpty()) {
                warnings.add(Diagnostic.warning(file, 0, "\"" + key + "\" needs a value (" + key + "=...), ignoring"));
                continue;
            }
            switch (name) {
                case "log_level" -> {
                    Optional<String> l = LogLevel.parse(value);
                    if (l.isPresent()) {
                        level = l;
                    } else {
                        warnings.add(bad(file, key, value, "a log level: " + LogLevel.ACCEPTED));
                    }
                }
                case "children_max" -> {
                    int n = number(value);
                    if (n >= 0 && n <= max) {
                        children = OptionalInt.of(n);
                    } else {
                        warnings.add(bad(file, key, value, "a number of workers from 1 to " + max + ", or 0 for automatic"));
                    }
                }
                default -> {
                    try {
                        coldplug = Optional.of(DaemonConfig.ColdplugMode.valueOf(value.toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        warnings.add(bad(file, key, value, "trigger, scan or off"));
                    }
                }
            }
        }
        return new KernelCmdlineKnobs(level, children, coldplug, warnings);
    }

    private static Diagnostic bad(String file, String key, String value, String expected) {
        return Diagnostic.warning(file, 0, "invalid value \"" + value + "\" for " + key + " (expected " + expected
                + "), ignoring");
    }

    /** A plain decimal number; -1 when it is not one (or does not fit an int). */
    private static int number(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(s);
    }
}
