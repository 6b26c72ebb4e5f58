package org.lkmd.modprobe;

import org.lkmd.index.Fnmatch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective modprobe.d configuration: every understood line of every file, in kmod's parse
 * order (files by name across directories, then the kernel command line), and libkmod's rules for
 * what each kind of line means:
 * <ul>
 *   <li>{@code alias}: every line whose glob matches the query contributes its module;</li>
 *   <li>{@code options}: every line naming the module or the alias it was reached through,
 *       joined with single spaces;</li>
 *   <li>{@code install}, {@code remove}, {@code softdep}, {@code weakdep}: the first line whose
 *       glob matches the module name wins;</li>
 *   <li>{@code blacklist}: exact names;</li>
 *   <li>{@code deny} (lkmd's own): exact names; the first line naming the module is the one cited.</li>
 * </ul>
 * Immutable.
 */
public final class ModprobeConfig {
    private final List<ConfigEntry> entries;
    private final List<ConfigEntry.Alias> aliases = new ArrayList<>();
    private final List<ConfigEntry.Options> options = new ArrayList<>();
    private final List<ConfigEntry.Install> installs = new ArrayList<>();
    private final List<ConfigEntry.Remove> removes = new ArrayList<>();
    private final List<ConfigEntry.Blacklist> blacklist = new ArrayList<>();
    private final List<ConfigEntry.SoftdepLine> softdeps = new ArrayList<>();
    private final List<ConfigEntry.WeakdepLine> weakdeps = new ArrayList<>();
    private final Map<String, ConfigEntry.Deny> denies = new LinkedHashMap<>();

    // The globs, compiled once: matching compiled-on-each-call softdep patterns was the largest cost of
    // planning a load for a uevent (a Fnmatch built per softdep line per module of every plan).
    private final List<Fnmatch> aliasGlobs = new ArrayList<>();
    private final List<Fnmatch> installGlobs = new ArrayList<>();
    private final List<Fnmatch> removeGlobs = new ArrayList<>();
    private final List<Fnmatch> softdepGlobs = new ArrayList<>();
    private final List<Fnmatch> weakdepGlobs = new ArrayList<>();

    public ModprobeConfig(List<ConfigEntry> entries) {
        this.entries = List.copyOf(entries);
        for (ConfigEntry e : this.entries) {
            if (e instanceof ConfigEntry.Alias a) {
                aliases.add(a);
            } else if (e instanceof ConfigEntry.Options o) {
                options.add(o);
            } else if (e instanceof ConfigEntry.Install i) {
                installs.add(i);
            } else if (e instanceof ConfigEntry.Remove r) {
                removes.add(r);
            } else if (e instanceof ConfigEntry.Blacklist b) {
                blacklist.add(b);
            } else if (e instanceof ConfigEntry.SoftdepLine s) {
                softdeps.add(s);
            } else if (e instanceof ConfigEntry.WeakdepLine w) {
                weakdeps.add(w);
            } else if (e instanceof ConfigEntry.Deny d) {
                denies.putIfAbsent(d.module(), d);
            }
        }
        aliases.forEach(a -> aliasGlobs.add(Fnmatch.compile(a.pattern())));
        installs.forEach(i -> installGlobs.add(Fnmatch.compile(i.pattern())));
        removes.forEach(r -> removeGlobs.add(Fnmatch.compile(r.pattern())));
        softdeps.forEach(l -> softdepGlobs.add(Fnmatch.compile(l.softdep().pattern())));
        weakdeps.forEach(l -> weakdepGlobs.add(Fnmatch.compile(l.weakdep().pattern())));
    }

    /** The first element of {@code list} whose glob (same index in {@code globs}) matches {@code name}. */
    private static <T> Optional<T> firstMatching(List<T> list, List<Fnmatch> globs, String name) {
        for (int i = 0; i < list.size(); i++) {
            if (globs.get(i).matches(name)) {
                return Optional.of(list.get(i));
            }
        }
        return Optional.empty();
    }

    public static ModprobeConfig empty() {
        return new ModprobeConfig(List.of());
    }

    /** Every entry in parse order. */
    public List<ConfigEntry> entries() {
        return entries;
    }

    /** Config {@code alias} lines whose pattern matches the (normalized) name, in order. */
    public List<ConfigEntry.Alias> aliasesMatching(String name) {
        List<ConfigEntry.Alias> out = new ArrayList<>();
        for (int i = 0; i < aliases.size(); i++) {
            if (aliasGlobs.get(i).matches(name)) {
                out.add(aliases.get(i));
            }
        }
        return out;
    }

    /** Options for a module reached by {@code name} (and through {@code alias}, may be null). */
    public String options(String name, String alias) {
        StringBuilder sb = new StringBuilder();
        for (ConfigEntry.Options o : options) {
            if (o.options().isEmpty()) {
                continue;
            }
            if (o.module().equals(name) || (alias != null && o.module().equals(alias))) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(o.options());
            }
        }
        return sb.toString();
    }

    /** The options lines that apply, for {@code explain}. */
    public List<ConfigEntry.Options> optionLines(String name, String alias) {
        return options.stream()
                .filter(o -> o.module().equals(name) || (alias != null && o.module().equals(alias)))
                .toList();
    }

    /** The first {@code install} line whose glob matches the module name. */
    public Optional<ConfigEntry.Install> install(String module) {
        return firstMatching(installs, installGlobs, module);
    }

    /** The first {@code remove} line whose glob matches the module name. */
    public Optional<ConfigEntry.Remove> remove(String module) {
        return firstMatching(removes, removeGlobs, module);
    }

    /** Install lines written for exactly this name (lookup step 4); the last one counts. */
    public Optional<ConfigEntry.Install> installNamed(String name) {
        ConfigEntry.Install last = null;
        for (ConfigEntry.Install i : installs) {
            if (i.pattern().equals(name)) {
                last = i;
            }
        }
        return Optional.ofNullable(last);
    }

    /** Remove lines written for exactly this name (lookup step 4); the last one counts. */
    public Optional<ConfigEntry.Remove> removeNamed(String name) {
        ConfigEntry.Remove last = null;
        for (ConfigEntry.Remove r : removes) {
            if (r.pattern().equals(name)) {
                last = r;
            }
        }
        return Optional.ofNullable(last);
    }

    /** The first {@code softdep} line whose glob matches the module name. */
    public Optional<Softdep> softdep(String module) {
        return softdepLine(module).map(ConfigEntry.SoftdepLine::softdep);
    }

    /** The first {@code softdep} line whose glob matches the module name, with where it is. */
    public Optional<ConfigEntry.SoftdepLine> softdepLine(String module) {
        return firstMatching(softdeps, softdepGlobs, module);
    }

    /** Every {@code install} line in parse order. */
    public List<ConfigEntry.Install> installLines() {
        return List.copyOf(installs);
    }

    /** Every {@code softdep} line in parse order. */
    public List<ConfigEntry.SoftdepLine> softdepLines() {
        return List.copyOf(softdeps);
    }

    /** Every {@code blacklist} line in parse order. */
    public List<ConfigEntry.Blacklist> blacklistLines() {
        return List.copyOf(blacklist);
    }

    /** The first {@code weakdep} line whose glob matches the module name. */
    public Optional<Weakdep> weakdep(String module) {
        return firstMatching(weakdeps, weakdepGlobs, module).map(ConfigEntry.WeakdepLine::weakdep);
    }

    /** True when a {@code blacklist} line names exactly this module. */
    public boolean blacklisted(String module) {
        for (ConfigEntry.Blacklist b : blacklist) {
            if (b.module().equals(module)) {
                return true;
            }
        }
        return false;
    }

    /** The first {@code deny} line naming exactly this (normalized) module. */
    public Optional<ConfigEntry.Deny> denied(String module) {
        return denies.isEmpty() ? Optional.empty() : Optional.ofNullable(denies.get(module));
    }

    /** True when any {@code deny} line is configured. */
    public boolean hasDenies() {
        return !denies.isEmpty();
    }

    /** Every {@code deny} line in parse order (the first per module). */
    public List<ConfigEntry.Deny> denies() {
        return List.copyOf(denies.values());
    }

    /**
     * {@code modprobe -c}'s configuration part: blacklist, install, remove, alias, options,
     * softdep, weakdep lines, each kind in parse order.
     */
    public void dump(StringBuilder out) {
        blacklist.forEach(b -> out.append("blacklist ").append(b.module()).append('\n'));
        installs.forEach(i -> out.append("install ").append(i.pattern()).append(' ').append(i.command()).append('\n'));
        removes.forEach(r -> out.append("remove ").append(r.pattern()).append(' ').append(r.command()).append('\n'));
        aliases.forEach(a -> out.append("alias ").append(a.pattern()).append(' ').append(a.module()).append('\n'));
        options.forEach(o -> out.append("options ").append(o.module()).append(' ').append(o.options()).append('\n'));
        softdeps.forEach(s -> out.append("softdep ").append(s.softdep().pattern()).append(' ')
                .append(s.softdep().plain()).append('\n'));
        weakdeps.forEach(w -> out.append("weakdep ").append(w.weakdep().pattern()).append(' ')
                .append(String.join(" ", w.weakdep().deps())).append('\n'));
        // lkmd's own lines, after kmod's (kmod prints none: its output is unchanged without them)
        denies.values().forEach(d -> out.append("deny ").append(d.module()).append('\n'));
    }
}
