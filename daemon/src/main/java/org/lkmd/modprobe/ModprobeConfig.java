package org.lkmd.modprobe;

import org.lkmd.index.Fnmatch;

import java.util.ArrayList;
import java.util.List;
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
 *   <li>{@code blacklist}: exact names.</li>
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
            }
        }
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
        for (ConfigEntry.Alias a : aliases) {
            if (Fnmatch.fnmatch(a.pattern(), name)) {
                out.add(a);
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
        return installs.stream().filter(i -> Fnmatch.fnmatch(i.pattern(), module)).findFirst();
    }

    /** The first {@code remove} line whose glob matches the module name. */
    public Optional<ConfigEntry.Remove> remove(String module) {
        return removes.stream().filter(r -> Fnmatch.fnmatch(r.pattern(), module)).findFirst();
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
        return softdeps.stream().map(ConfigEntry.SoftdepLine::softdep)
                .filter(s -> Fnmatch.fnmatch(s.pattern(), module)).findFirst();
    }

    /** The first {@code weakdep} line whose glob matches the module name. */
    public Optional<Weakdep> weakdep(String module) {
        return weakdeps.stream().map(ConfigEntry.WeakdepLine::weakdep)
                .filter(w -> Fnmatch.fnmatch(w.pattern(), module)).findFirst();
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
    }
}
