package org.lkmd.cli;

import org.lkmd.base.ModuleNames;
import org.lkmd.elf.BuiltinModinfo;
import org.lkmd.elf.KoFile;
import org.lkmd.elf.KoFileException;
import org.lkmd.elf.ModInfo;
import org.lkmd.elf.ModuleInfoFormatter;
import org.lkmd.elf.ModuleFiles;
import org.lkmd.index.DepEntry;
import org.lkmd.index.ModuleIndex;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.modprobe.ModprobeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code modinfo}: kmod 30's output for module files, module names and aliases, and builtin modules
 * (from {@code modules.builtin.modinfo}). Names and aliases are looked up in the module index of
 * {@code -b BASEDIR}/{@code --root} and the {@code -k} release through modprobe's lookup chain
 * ({@link ResolveContext#lookup}), every module found is shown; {@code -m} looks up a module name
 * only.
 */
@Command(name = "modinfo", description = "Show information about a Linux Kernel module.")
public final class Modinfo extends Verb {
    @Option(names = {"-a", "--author"}, description = "Print only 'author'")
    boolean author;
    @Option(names = {"-d", "--description"}, description = "Print only 'description'")
    boolean description;
    @Option(names = {"-l", "--license"}, description = "Print only 'license'")
    boolean license;
    @Option(names = {"-p", "--parameters"}, description = "Print only 'parm'")
    boolean parameters;
    @Option(names = {"-n", "--filename"}, description = "Print only 'filename'")
    boolean filename;
    @Option(names = {"-0", "--null"}, description = "Use \\0 instead of \\n")
    boolean nul;
    @Option(names = {"-m", "--modname"}, description = "Handle argument as module name instead of alias or filename")
    boolean modname;
    @Option(names = {"-F", "--field"}, paramLabel = "FIELD", description = "Print only provided FIELD")
    String field;
    @Option(names = {"-k", "--kernel"}, paramLabel = "KVER", description = "Use KVER kernel version")
    String kernel;
    @Option(names = {"-b", "--basedir"}, paramLabel = "DIR", description = "Use DIR as filesystem root for /lib/modules")
    String basedir;
    @Option(names = {"-V", "--version"}, description = "Show version")
    boolean version;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;
    @Parameters(paramLabel = "MODULE")
    List<String> modules = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        if (version) {
            out().println("kmod version 30");
            return 0;
        }
        String f = field;
        if (author) {
            f = "author";
        } else if (description) {
            f = "description";
        } else if (license) {
            f = "license";
        } else if (parameters) {
            f = "parm";
        } else if (filename) {
            f = "filename";
        }
        if (modules.isEmpty()) {
            err().println("modinfo: ERROR: missing module or filename.");
            return 1;
        }
        String release = kernel != null ? kernel : releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        // kmod builds "BASEDIR/lib/modules/REL" as a string and prints paths under it verbatim ("-b /" gives "//lib/...")
        String baseText = basedir != null
                ? (basedir.startsWith("/") ? basedir : System.getProperty("user.dir") + "/" + basedir)
                : root().isSystem() ? "" : root().dir().toString();
        String dirname = baseText + "/lib/modules/" + release;
        Path moduleDir = Path.of(dirname);
        ModuleInfoFormatter fmt = new ModuleInfoFormatter(f, nul ? '\0' : '\n');
        Lookup lookup = new Lookup(moduleDir);
        int rc = 0;
        for (String name : modules) {
            Path asPath = Path.of(name);
            if (!modname && Files.isRegularFile(asPath) && ModuleFiles.isModuleFile(asPath.getFileName().toString())) {
                // like kmod: relative paths get the working directory prepended, nothing is normalized
                String shown = name.startsWith("/") ? name : System.getProperty("user.dir") + "/" + name;
                rc |= showFile(fmt, asPath, shown, ModuleNames.fromPath(name));
                continue;
            }
            List<ModuleRef> found;
            if (modname) {
                found = lookup.byName(name);
                if (found.isEmpty()) {
                    err().print("modinfo: ERROR: Module name " + name + " not found.\n");
                    rc = 1;
                    continue;
                }
            } else {
                try {
                    found = lookup.byAlias(name);
                } catch (ResolveContext.InvalidNameException e) {
                    err().print("modinfo: ERROR: Module alias " + name + " not found.\n");
                    rc = 1;
                    continue;
                }
                if (found.isEmpty()) {
                    err().print("modinfo: ERROR: Module " + name + " not found.\n");
                    rc = 1;
                    continue;
                }
            }
            for (ModuleRef m : found) {
                Optional<String> depPath = lookup.depPath(m);
                if (depPath.isEmpty()) {
                    // kmod: a module without a file is shown as builtin, with what modules.builtin.modinfo says
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    fmt.formatBuiltin(m.name(), lookup.builtinInfo(m.name()), buf);
                    out().write(buf.toByteArray());
                } else {
                    String p = depPath.get();
                    rc |= p.startsWith("/") ? showFile(fmt, Path.of(p), p, m.name())
                            : showFile(fmt, moduleDir.resolve(p), dirname + "/" + p, m.name());
                }
            }
        }
        out().flush();
        return rc;
    }

    /**
     * Finds modules the way kmod's modinfo does: through the module index ({@code .bin} tries, text
     * files when they are missing) and the same lookup chain as modprobe, with no modprobe.d
     * configuration (kmod's modinfo creates its context with an empty list of config files, so
     * config aliases and install lines do not apply).
     */
    private static final class Lookup {
        private final ModuleIndex index;
        private final ResolveContext ctx;
        private final Path moduleDir;
        private BuiltinModinfo builtin;

        Lookup(Path moduleDir) {
            this.moduleDir = moduleDir;
            // an unusable index finds nothing, as in kmod, which says only "not found"
            this.index = new ModuleIndexLoader().load(moduleDir).value().orElse(null);
            this.ctx = index == null ? null
                    : new ResolveContext(ModprobeConfig.empty(), index, moduleDir);
        }

        /** {@code kmod_module_new_from_lookup}: every module a name or alias stands for. */
        List<ModuleRef> byAlias(String query) throws ResolveContext.InvalidNameException {
            return ctx == null ? List.of() : ctx.lookup(query);
        }

        /** {@code -m}: {@code kmod_module_new_from_name_lookup}: modules.dep, then builtin, then builtin aliases. */
        List<ModuleRef> byName(String query) {
            if (ctx == null) {
                return List.of();
            }
            String name = ModuleNames.normalizeName(query);
            if (index.dep(name).isPresent() || index.builtin(name)) {
                return List.of(ctx.byName(name));
            }
            return index.builtinAliases(name).stream().limit(1).map(ctx::byName).toList();
        }

        /** The module's path as {@code modules.dep} spells it, if it lists the module. */
        Optional<String> depPath(ModuleRef m) {
            return index.dep(m.name()).map(DepEntry::path);
        }

        ModInfo builtinInfo(String name) {
            if (builtin == null) {
                try {
                    builtin = BuiltinModinfo.parse(Files.readAllBytes(moduleDir.resolve("modules.builtin.modinfo")));
                } catch (IOException e) {
                    builtin = BuiltinModinfo.parse(new byte[0]);
                }
            }
            ModInfo info = builtin.info(name);
            return info != null ? info : new ModInfo(List.of());
        }
    }

    private int showFile(ModuleInfoFormatter fmt, Path path, String shown, String name) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean onlyFilename = fmt.header(shown, buf);
        out().write(buf.toByteArray(), 0, buf.size());
        if (onlyFilename) {
            return 0;
        }
        try (KoFile ko = KoFile.open(path)) {
            ModInfo info = ko.modInfo();
            buf.reset();
            fmt.body(info, ko.signature().orElse(null), buf);
            out().write(buf.toByteArray(), 0, buf.size());
            return 0;
        } catch (KoFileException e) {
            out().flush();
            err().print("modinfo: ERROR: could not get modinfo from '" + name + "': " + e.reason() + "\n");
            return 1;
        } catch (IOException e) {
            out().flush();
            err().print("modinfo: ERROR: could not get modinfo from '" + name + "': " + e.getMessage() + "\n");
            return 1;
        }
    }
}
