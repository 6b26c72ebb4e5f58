package org.lkmd.modprobe;

import org.lkmd.base.Diagnostic;
import org.lkmd.index.Fnmatch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code lkmd verify}'s warnings on modprobe.d lines that kmod accepts but that do not do what they
 * say, each at the line that has no effect and naming the line that cancels it (file:line of both):
 * <ul>
 *   <li>an {@code install} line of a module that also has a {@code softdep}: libkmod ignores the
 *       install command of a module with softdeps and inserts the module itself (kmod #439, #446);</li>
 *   <li>a {@code softdep} line shadowed by an earlier one for the same module: only the first
 *       matching line counts (kmod #33), including one from the module directory's
 *       {@code modules.softdep};</li>
 *   <li>a {@code blacklist NAME} where a config {@code alias} sends NAME to another module: a lookup
 *       of NAME ends at the alias (config aliases come first) and reaches that module, which the
 *       blacklist does not name, so {@code modprobe NAME} loads it.</li>
 * </ul>
 * Pure: reads the parsed configuration only.
 */
public final class ConfigLint {
    private ConfigLint() {
    }

    public static List<Diagnostic> lint(ModprobeConfig config) {
        List<Diagnostic> out = new ArrayList<>();
        installsCancelledBySoftdeps(config, out);
        shadowedSoftdeps(config.softdepLines(), out);
        blacklistsSentElsewhere(config, out);
        return out;
    }

    /** True when the pattern has no glob character: it names one module. */
    private static boolean literal(String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static void installsCancelledBySoftdeps(ModprobeConfig config, List<Diagnostic> out) {
        // the modules both kinds of line can be about: every name written without a glob
        Set<String> names = new LinkedHashSet<>();
        config.installLines().forEach(i -> names.add(i.pattern()));
        config.softdepLines().forEach(s -> names.add(s.softdep().pattern()));
        names.removeIf(n -> !literal(n));
        Set<List<ConfigEntry>> told = new LinkedHashSet<>();
        for (String m : names) {
            Optional<ConfigEntry.Install> install = config.install(m);
            Optional<ConfigEntry.SoftdepLine> softdep = config.softdepLine(m);
            if (install.isEmpty() || softdep.isEmpty()
                    || (softdep.get().softdep().pre().isEmpty() && softdep.get().softdep().post().isEmpty())
                    || !told.add(List.of(install.get(), softdep.get()))) {
                continue;
            }
            ConfigEntry.Install i = install.get();
            out.add(Diagnostic.warning(i.file(), i.line(), "'install " + i.pattern() + "' is never run for " + m
                    + ": the softdep at " + where(softdep.get()) + " gives " + m
                    + " softdeps, and a module with softdeps is inserted itself (kmod ignores its install command; "
                    + "use 'deny " + m + "' in /etc/lkmd/modprobe.d to stop it)"));
        }
    }

    private static void shadowedSoftdeps(List<ConfigEntry.SoftdepLine> softdeps, List<Diagnostic> out) {
        for (int j = 1; j < softdeps.size(); j++) {
            String later = softdeps.get(j).softdep().pattern();
            for (int i = 0; i < j; i++) {
                String earlier = softdeps.get(i).softdep().pattern();
                if (earlier.equals(later) || (literal(later) && Fnmatch.fnmatch(earlier, later))) {
                    ConfigEntry.SoftdepLine s = softdeps.get(j);
                    out.add(Diagnostic.warning(s.file(), s.line(), "'softdep " + later + "' is ignored: the softdep at "
                            + where(softdeps.get(i)) + " matches " + later
                            + " first, and only the first matching softdep line counts (merge the two lines)"));
                    break;
                }
            }
        }
    }

    private static void blacklistsSentElsewhere(ModprobeConfig config, List<Diagnostic> out) {
        for (ConfigEntry.Blacklist b : config.blacklistLines()) {
            for (ConfigEntry.Alias a : config.aliasesMatching(b.module())) {
                if (!a.module().equals(b.module()) && !config.blacklisted(a.module())) {
                    out.add(Diagnostic.warning(b.file(), b.line(), "'blacklist " + b.module() + "' does not stop "
                            + "'modprobe " + b.module() + "': the alias at " + where(a) + " sends " + b.module()
                            + " to module " + a.module() + ", which no blacklist names (a blacklist names modules, "
                            + "not aliases)"));
                    break;
                }
            }
        }
    }

    private static String where(ConfigEntry e) {
        return e.line() > 0 ? e.file() + ":" + e.line() : e.file();
    }
}
