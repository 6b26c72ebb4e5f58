package org.lkmd.modprobe;

import org.lkmd.base.Diagnostic;
import org.lkmd.index.Fnmatch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code lkmd verify}'s warnings on modprobe.d lines that kmod accepts but that do not do what they
 * say, each at the line that has no effect and naming the line that cancels it (file:line of both):
 * <ul>
 *   <li>an {@code install} line of a module that also has a {@code softdep}: libkmod ignores the
 *       install command of a module with softdeps and inserts the module itself (kmod #439, #446);</li>
 *   <li>a {@code softdep} line with modules in it shadowed by an earlier one for the same module
 *       (even one without {@code pre:} or {@code post:} modules): only the first matching line
 *       counts (kmod #33), including one from the module directory's {@code modules.softdep};</li>
 *   <li>a {@code blacklist NAME} where a config {@code alias} sends NAME to another module: a lookup
 *       of NAME ends at the alias (config aliases come first) and reaches that module, which the
 *       blacklist does not name, so {@code modprobe NAME} loads it.</li>
 * </ul>
 * A pair of lines that both came with packages (the module directory's {@code modules.softdep},
 * {@code /usr/lib/modprobe.d}: Debian's own modules.softdep repeats {@code softdep ksmbd pre: ...}
 * twelve times, and kmod uses the first) is not reported: the administrator wrote neither and can
 * change neither. Pure: reads the parsed configuration only.
 */
public final class ConfigLint {
    private ConfigLint() {
    }

    /** @param shipped whether a file came with a package ({@code ModprobeConfigLoader.shipped}) */
    public static List<Diagnostic> lint(ModprobeConfig config, Predicate<String> shipped) {
        List<Diagnostic> out = new ArrayList<>();
        installsCancelledBySoftdeps(config, shipped, out);
        shadowedSoftdeps(config.softdepLines(), shipped, out);
        blacklistsSentElsewhere(config, shipped, out);
        return out;
    }

    /** True when the administrator wrote at least one of the two lines. */
    private static boolean admins(ConfigEntry a, ConfigEntry b, Predicate<String> shipped) {
        return !shipped.test(a.file()) || !shipped.test(b.file());
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

    private static void installsCancelledBySoftdeps(ModprobeConfig config, Predicate<String> shipped,
                                                    List<Diagnostic> out) {
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
                    || !admins(install.get(), softdep.get(), shipped)
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

    private static void shadowedSoftdeps(List<ConfigEntry.SoftdepLine> softdeps, Predicate<String> shipped,
                                         List<Diagnostic> out) {
        for (int j = 1; j < softdeps.size(); j++) {
            Softdep shadowed = softdeps.get(j).softdep();
            if (shadowed.pre().isEmpty() && shadowed.post().isEmpty()) {
                // nothing is lost: modules.softdep has such lines (cifs's MODULE_SOFTDEP("gcm") without "pre:")
                continue;
            }
            String later = shadowed.pattern();
            for (int i = 0; i < j; i++) {
                String earlier = softdeps.get(i).softdep().pattern();
                if (earlier.equals(later) || (literal(later) && Fnmatch.fnmatch(earlier, later))) {
                    ConfigEntry.SoftdepLine s = softdeps.get(j);
                    if (!admins(s, softdeps.get(i), shipped)) {
                        break;
                    }
                    out.add(Diagnostic.warning(s.file(), s.line(), "'softdep " + later + "' is ignored: the softdep at "
                            + where(softdeps.get(i)) + " matches " + later
                            + " first, and only the first matching softdep line counts (merge the two lines)"));
                    break;
                }
            }
        }
    }

    private static void blacklistsSentElsewhere(ModprobeConfig config, Predicate<String> shipped,
                                                List<Diagnostic> out) {
        for (ConfigEntry.Blacklist b : config.blacklistLines()) {
            for (ConfigEntry.Alias a : config.aliasesMatching(b.module())) {
                if (!a.module().equals(b.module()) && !config.blacklisted(a.module()) && admins(b, a, shipped)) {
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
