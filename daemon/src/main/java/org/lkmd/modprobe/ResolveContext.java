package org.lkmd.modprobe;

import org.lkmd.index.DepEntry;
import org.lkmd.base.ModuleNames;
import org.lkmd.index.ModuleIndex;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One resolution session (libkmod's context): looks names up through kmod's chain and builds probe
 * lists, keeping one {@link ModuleRef} per (name, alias) so repeated modules behave as in kmod.
 * Not thread-safe; use one per command or event.
 *
 * <p>Lookup chain (the first step that finds anything wins): config {@code alias} lines (glob),
 * {@code modules.dep} by name, {@code modules.symbols} for {@code symbol:} keys, install/remove
 * lines written for exactly that name, {@code modules.alias} globs, {@code modules.builtin},
 * builtin aliases.
 *
 * <p>Probe list for a module M (kmod's order): each of M's hard dependencies, deepest first, with
 * its softdeps' {@code pre} modules (their own stacks) before it and {@code post} modules after
 * it; then M the same way. A module with softdeps has its install command ignored. M and its hard
 * dependencies are "required": a failure there stops the load; softdep failures do not. A step
 * whose module, or one of whose hard dependencies, is named by lkmd's {@code deny} comes as
 * {@link LoadStep.Denied}.
 */
public final class ResolveContext {
    private final ModprobeConfig config;
    private final ModuleIndex index;
    private final Path modulesDir;
    private final Map<String, ModuleRef> pool = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();

    /**
     * A fresh context for one command or event over one immutable configuration (modprobe.d and
     * the module index), which any number of contexts may share.
     *
     * @param modulesDir the directory module paths in {@code modules.dep} are relative to, as it
     *                   is printed ({@code /lib/modules/<release>} under the root)
     */
    public ResolveContext(ModprobeConfig config, ModuleIndex index, Path modulesDir) {
        this.config = config;
        this.index = index;
        this.modulesDir = modulesDir;
    }

    /** The module directory names are resolved in, as kmod prints it in "not found" messages. */
    public Path modulesDir() {
        return modulesDir;
    }

    /** The modprobe.d configuration this context resolves with. */
    public ModprobeConfig config() {
        return config;
    }

    /** Messages about softdeps that could not be looked up, in order; kmod prints them and goes on. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** Thrown for a name libkmod refuses to look up (an unmatched bracket): EINVAL. */
    public static final class InvalidNameException extends Exception {
        public InvalidNameException(String name) {
            super("invalid module name or alias: " + name);
        }
    }

    /**
     * {@link #lookup}, with a name libkmod refuses to look up standing for no module (modprobe
     * then reports it as not found).
     */
    public List<ModuleRef> find(String query) {
        try {
            return lookup(query);
        } catch (InvalidNameException e) {
            return List.of();
        }
    }

    /** {@code kmod_module_new_from_lookup}: the modules a name or alias stands for, maybe none. */
    public List<ModuleRef> lookup(String query) throws InvalidNameException {
        String q = ModuleNames.normalizeAlias(query).orElseThrow(() -> new InvalidNameException(query));
        List<ModuleRef> out = new ArrayList<>();
        for (ConfigEntry.Alias a : config.aliasesMatching(q)) {
            out.add(ref(a.module(), a.pattern()));
        }
        if (!out.isEmpty()) {
            return out;
        }
        if (index.dep(q).isPresent()) {
            return List.of(ref(q, null));
        }
        if (q.startsWith("symbol:")) {
            for (String m : index.symbols(q)) {
                out.add(ref(m, q));
            }
            if (!out.isEmpty()) {
                return out;
            }
        }
        Optional<ConfigEntry.Install> install = config.installNamed(q);
        if (install.isPresent()) {
            ModuleRef m = ref(q, null);
            m.installCommand = install.get().command();
            m.installKnown = true;
            return List.of(m);
        }
        if (config.removeNamed(q).isPresent()) {
            return List.of(ref(q, null));
        }
        for (String m : index.aliases(q)) {
            out.add(ref(m, q));
        }
        if (!out.isEmpty()) {
            return out;
        }
        if (index.builtin(q)) {
            ModuleRef m = ref(q, null);
            m.builtin = true;
            return List.of(m);
        }
        for (String m : index.builtinAliases(q)) {
            ModuleRef r = ref(m, q);
            r.builtin = true;
            out.add(r);
        }
        return out;
    }

    /** The module object for a plain module name (no alias). */
    public ModuleRef byName(String name) {
        return ref(ModuleNames.normalizeAlias(name).orElse(name), null);
    }

    private ModuleRef ref(String name, String alias) {
        return pool.computeIfAbsent(ModuleRef.key(name, alias), k -> new ModuleRef(name, alias));
    }

    /** The module's file, from {@code modules.dep}; null when the index does not list it. */
    public Path path(ModuleRef m) {
        if (!m.pathKnown) {
            m.pathKnown = true;
            m.path = index.dep(m.name()).map(DepEntry::path).map(this::join).orElse(null);
        }
        return m.path == null ? null : Path.of(m.path);
    }

    private String join(String p) {
        return p.startsWith("/") ? p : modulesDir + "/" + p;
    }

    /** Hard dependencies, deepest first (the reverse of the {@code modules.dep} line). */
    public List<ModuleRef> dependencies(ModuleRef m) {
        Optional<DepEntry> e = index.dep(m.name());
        if (e.isEmpty()) {
            return List.of();
        }
        List<ModuleRef> out = new ArrayList<>();
        for (String p : e.get().dependencies()) {
            ModuleRef d = ref(ModuleNames.fromPath(p), null);
            if (!d.pathKnown) {
                d.pathKnown = true;
                d.path = join(p);
            }
            out.add(0, d);
        }
        return out;
    }

    /** The install command that applies: the one the lookup found, else the first matching line. */
    public String installCommand(ModuleRef m) {
        if (!m.installKnown) {
            m.installKnown = true;
            m.installCommand = config.install(m.name()).map(ConfigEntry.Install::command).orElse(null);
        }
        return m.installCommand;
    }

    /** The remove command that applies: the first {@code remove} line whose glob matches the name. */
    public String removeCommand(ModuleRef m) {
        return config.remove(m.name()).map(ConfigEntry.Remove::command).orElse(null);
    }

    /** Options from config (by name and by the alias it was reached through) and the kernel command line. */
    public String options(ModuleRef m) {
        return config.options(m.name(), m.alias());
    }

    /** The softdep lists of a module, each name looked up through the whole chain. */
    public SoftdepModules softdeps(ModuleRef m) {
        Optional<Softdep> s = config.softdep(m.name());
        if (s.isEmpty()) {
            return new SoftdepModules(List.of(), List.of());
        }
        return new SoftdepModules(lookupAll(s.get().pre()), lookupAll(s.get().post()));
    }

    /** A module's softdeps, resolved. */
    public record SoftdepModules(List<ModuleRef> pre, List<ModuleRef> post) {
        public boolean isEmpty() {
            return pre.isEmpty() && post.isEmpty();
        }
    }

    private List<ModuleRef> lookupAll(List<String> names) {
        List<ModuleRef> out = new ArrayList<>();
        for (String n : names) {
            try {
                out.addAll(lookup(n));
            } catch (InvalidNameException e) {
                warnings.add("failed to lookup soft dependency '" + n + "', continuing anyway.");
            }
        }
        return out;
    }

    /**
     * The probe list of {@code mod}: every module to take, in order, possibly repeated (kmod
     * repeats a dependency that a softdep's stack already brought in; the loader skips it as live).
     *
     * @param ignoreCommands {@code -i}: the target's own install command and softdeps are ignored
     */
    public List<ModuleRef> probeList(ModuleRef mod, boolean ignoreCommands) {
        for (ModuleRef m : pool.values()) {
            m.visited = false;
            m.required = false;
        }
        List<ModuleRef> list = new ArrayList<>();
        probe(mod, true, ignoreCommands, list);
        return list;
    }

    private void probe(ModuleRef mod, boolean required, boolean ignoreCommand, List<ModuleRef> list) {
        if (mod.visited) {
            return;
        }
        mod.visited = true;
        List<ModuleRef> deps = dependencies(mod);
        if (required) {
            mod.required = true;
            deps.forEach(d -> d.required = true);
        }
        for (ModuleRef d : deps) {
            fillSoftdeps(d, list);
        }
        if (ignoreCommand) {
            list.add(mod);
            mod.ignoreCommand = true;
        } else {
            fillSoftdeps(mod, list);
        }
    }

    private void fillSoftdeps(ModuleRef m, List<ModuleRef> list) {
        SoftdepModules s = softdeps(m);
        for (ModuleRef p : s.pre()) {
            probe(p, false, false, list);
        }
        list.add(m);
        m.ignoreCommand = !s.isEmpty();
        for (ModuleRef p : s.post()) {
            probe(p, false, false, list);
        }
    }

    /**
     * The load plan for {@code mod}: its probe list turned into steps with options (the caller's
     * extra options go to {@code mod} only) and install commands.
     *
     * @param sysfsBuiltin tells whether the running kernel reports a module as builtin (for modules
     *                     the index gives no file for)
     */
    public LoadPlan plan(ModuleRef mod, String query, String extraOptions, boolean ignoreCommands,
                         Predicate<String> sysfsBuiltin) {
        List<ModuleRef> list = probeList(mod, ignoreCommands);
        List<LoadStep> steps = new ArrayList<>(list.size());
        int target = -1;
        for (ModuleRef m : list) {
            if (m == mod) {
                target = steps.size();
            }
            String opts = joinOptions(options(m), m == mod ? extraOptions : null);
            String cmd = installCommand(m);
            LoadStep step;
            Path p;
            if (cmd != null && !m.ignoreCommand) {
                step = new LoadStep.Install(m.name(), cmd, opts, m.required);
            } else if ((p = path(m)) != null) {
                step = new LoadStep.Insert(m.name(), p, opts, m.required);
            } else if (m.builtin || sysfsBuiltin.test(m.name())) {
                step = new LoadStep.Builtin(m.name(), m.required);
            } else {
                step = new LoadStep.Missing(m.name(), m.required);
            }
            steps.add(step instanceof LoadStep.Builtin ? step : denied(m, step));
        }
        return new LoadPlan(mod.name(), query, steps, target);
    }

    /**
     * The step as lkmd may take it: wrapped as {@link LoadStep.Denied} when a {@code deny} line
     * names the module or one of its hard dependencies (the module itself first), else as it is.
     */
    private LoadStep denied(ModuleRef m, LoadStep step) {
        if (!config.hasDenies()) {
            return step;
        }
        Optional<ConfigEntry.Deny> d = config.denied(m.name());
        if (d.isPresent()) {
            return new LoadStep.Denied(step, m.name(), d.get().where());
        }
        for (ModuleRef dep : dependencies(m)) {
            d = config.denied(dep.name());
            if (d.isPresent()) {
                return new LoadStep.Denied(step, dep.name(), d.get().where());
            }
        }
        return step;
    }

    /** The {@code deny} line naming this module, if any (lkmd's own directive). */
    public Optional<ConfigEntry.Deny> denied(ModuleRef mod) {
        return config.denied(mod.name());
    }

    /**
     * libkmod's {@code module_options_concat}: config options are followed by a space whether or
     * not the caller added options, so {@code --show-depends} prints {@code "x=1 "} as kmod does.
     */
    static String joinOptions(String config, String extra) {
        String x = extra == null ? "" : extra;
        return config.isEmpty() ? x : config + " " + x;
    }

    /** True when modprobe's blacklist rule refuses {@code mod} ({@code -b} extends it to names). */
    public boolean blacklisted(ModuleRef mod, boolean useBlacklistForNames) {
        return (mod.alias() != null || useBlacklistForNames) && config.blacklisted(mod.name());
    }
}
