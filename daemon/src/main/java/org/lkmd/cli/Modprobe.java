package org.lkmd.cli;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.elf.KoFile;
import org.lkmd.elf.KoFileException;
import org.lkmd.index.ModuleIndex;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.loader.AliasRemoval;
import org.lkmd.loader.HookIo;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.ModuleRemover;
import org.lkmd.loader.ProbeOutcome;
import org.lkmd.loader.Prober;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code modprobe}: kmod's flags, output lines, messages and exit codes. Resolution is
 * {@link ResolveContext}'s; this class is the command-line face and the probe loop that decides,
 * step by step, what is skipped as already loaded, printed, run, and which failures count.
 */
@Command(name = "modprobe", description = "Add and remove modules from the Linux kernel.",
        usageHelpAutoWidth = true)
public final class Modprobe extends Verb {
    @Option(names = {"-a", "--all"}, description = "Consider every non-argument to be a module name.")
    boolean all;
    @Option(names = {"-r", "--remove"}, description = "Remove modules instead of inserting.")
    boolean remove;
    @Option(names = {"--remove-dependencies", "--remove-holders"}, description = "Also remove module holders (with -r).")
    boolean removeHolders;
    @Option(names = {"-w", "--wait"}, paramLabel = "MSEC", description = "With -r, wait up to MSEC for the module's refcount to drop.")
    String waitMsec;
    @Option(names = {"-R", "--resolve-alias"}, description = "Only look up and print the alias's modules.")
    boolean resolveAlias;
    @Option(names = "--first-time", description = "Fail if the module is already inserted or removed.")
    boolean firstTime;
    @Option(names = {"-i", "--ignore-install", "--ignore-remove"}, description = "Ignore install and remove commands.")
    boolean ignoreCommands;
    @Option(names = {"-b", "--use-blacklist"}, description = "Apply the blacklist to module names too.")
    boolean useBlacklist;
    @Option(names = {"-f", "--force"}, description = "Force insertion (--force-modversion and --force-vermagic).")
    boolean force;
    @Option(names = "--force-modversion", description = "Ignore the module's symbol versions.")
    boolean forceModversion;
    @Option(names = "--force-vermagic", description = "Ignore the module's version magic.")
    boolean forceVermagic;
    @Option(names = {"-D", "--show-depends"}, description = "Only print the module's dependencies and exit.")
    boolean showDepends;
    @Option(names = {"--show-modversions", "--dump-modversions"}, description = "Print the symbol versions (CRCs) a module file needs, and exit.")
    boolean showModversions;
    @Option(names = "--show-exports", description = "Print the symbols a module file exports, with their CRCs, and exit.")
    boolean showExports;
    @Option(names = {"-c", "--showconfig", "--show-config"}, description = "Print the configuration and exit.")
    boolean showConfig;
    @Option(names = {"-n", "--dry-run", "--show"}, description = "Do not load or unload, just print.")
    boolean dryRun;
    @Option(names = {"-C", "--config"}, paramLabel = "FILE", description = "Use FILE (file or directory) instead of the default search paths.")
    List<Path> configs = new ArrayList<>();
    @Option(names = {"-d", "--dirname"}, paramLabel = "DIR", description = "Use DIR as the root for /lib/modules.")
    Path dirname;
    @Option(names = {"-S", "--set-version"}, paramLabel = "VERSION", description = "Use VERSION instead of the running kernel's release.")
    String setVersion;
    @Option(names = {"-s", "--syslog"}, description = "Accepted for compatibility; messages go to stderr.")
    boolean syslog;
    @Option(names = {"-q", "--quiet"}, description = "Disable messages.")
    boolean quiet;
    @Option(names = {"-v", "--verbose"}, description = "Enable more messages.")
    boolean[] verbose = new boolean[0];
    @Option(names = {"-V", "--version"}, description = "Show the version.")
    boolean version;
    @Option(names = "--hook-timeout", paramLabel = "SEC", description = "lkmd: kill an install or remove command "
            + "still running after SEC seconds (default $LKMD_HOOK_TIMEOUT, else 30; kmod waits forever).")
    String hookTimeout;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;
    @Parameters(paramLabel = "ARG", description = "Module name or alias, then its options (or more names with -a).")
    List<String> args = new ArrayList<>();

    private ToolLog log;
    private boolean show;

    /** Environment variable giving the hook time limit in seconds when {@code --hook-timeout} is not given. */
    static final String HOOK_TIMEOUT_ENV = "LKMD_HOOK_TIMEOUT";

    /**
     * The time limit for install/remove commands: {@code SEC} as a decimal number of seconds
     * ({@code 30}, {@code 0.5}); null (absent) gives the default; null is returned for a bad value.
     */
    static Duration hookTimeout(String sec) {
        if (sec == null || sec.isBlank()) {
            return ModuleLoader.DEFAULT_HOOK_TIMEOUT;
        }
        try {
            long ms = new java.math.BigDecimal(sec.strip()).movePointRight(3).longValueExact();
            return ms > 0 && ms <= 86_400_000L ? Duration.ofMillis(ms) : null;
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** kmod prepends the words of {@code $MODPROBE_OPTIONS} to modprobe's own arguments. */
    static String[] withEnvOptions(String[] args, Map<String, String> env) {
        String extra = env.get("MODPROBE_OPTIONS");
        int verb = -1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("modprobe")) {
                verb = i;
                break;
            }
            if (!args[i].startsWith("-")) {
                break;
            }
        }
        if (extra == null || extra.isBlank() || verb < 0) {
            return args;
        }
        List<String> out = new ArrayList<>(List.of(args).subList(0, verb + 1));
        for (String w : extra.trim().split("\\s+")) {
            out.add(w);
        }
        out.addAll(List.of(args).subList(verb + 1, args.length));
        return out.toArray(new String[0]);
    }

    @Override
    public Integer call() {
        int verbosity = quiet ? ToolLog.EMERG : ToolLog.WARNING + verbose.length;
        log = new ToolLog(err(), "modprobe", verbosity);
        show = showDepends || verbosity > ToolLog.WARNING;
        if (version) {
            out().println("lkmd version 0.1.0 (kmod 30 compatible)");
            return 0;
        }
        if (!showConfig && args.isEmpty()) {
            log.error("missing parameters. See -h.");
            return 1;
        }
        // kmod's order: the version table wins over the exports when both are asked for
        if (showModversions) {
            return showSymbols(args.get(0), "modversions", ko -> table(ko.versionTable(), KoFile.Version::crc, KoFile.Version::symbol));
        }
        if (showExports) {
            return showSymbols(args.get(0), "symbols", ko -> table(ko.exports(), KoFile.Export::crc, KoFile.Export::symbol));
        }
        if (waitMsec != null && !waitMsec.matches("(0[xX][0-9a-fA-F]+|[0-9]+)")) {
            log.error("unexpected wait value '" + waitMsec + "'.");
            return 1;
        }
        String hookSpec = hookTimeout != null ? hookTimeout : main.context().env().get(HOOK_TIMEOUT_ENV);
        Duration hookLimit = hookTimeout(hookSpec);
        if (hookLimit == null) {
            log.error("invalid hook time limit '" + hookSpec + "' (seconds, more than 0).");
            return 1;
        }
        Kernel kernel = kernel();
        String release = setVersion != null ? setVersion : releaseOption() != null ? releaseOption() : kernel.release();
        Path modulesDir = dirname != null ? dirname.resolve("lib/modules/" + release)
                : root().modulesDir(release);
        ParseResult<ModprobeConfig> config = ModprobeConfigLoader.load(root(), modulesDir, configs);
        config.diagnostics().forEach(d -> log.error(d.toString()));
        ParseResult<ModuleIndex> index = new ModuleIndexLoader().load(modulesDir);
        if (!showConfig) {
            index.diagnostics().forEach(d -> log.error(d.toString()));
        }
        ModprobeConfig modprobe = config.value().orElseGet(ModprobeConfig::empty);
        if (showConfig) {
            return showConfig(modprobe, index.value().orElse(null));
        }
        if (index.value().isEmpty()) {
            for (String a : all ? args : args.subList(0, 1)) {
                log.log(all ? ToolLog.WARNING : ToolLog.CRIT, "Module " + a + " not found in directory " + modulesDir);
            }
            return 1;
        }
        ResolveContext ctx = new ResolveContext(modprobe, index.value().get(), modulesDir);
        HookIo io = new HookIo(out(), err());
        int rc = 0;
        if (remove) {
            AliasRemoval removal = new AliasRemoval(ctx, kernel, hookLimit, "/bin/sh", io);
            ModuleRemover.Options o = removalOptions();
            // every name given, -a or not (kmod's rmmod_all), until a FATAL message ends the run
            for (String a : args) {
                AliasRemoval.Result r = removal.remove(a, o);
                boolean fatal = false;
                for (AliasRemoval.Message m : r.messages()) {
                    int priority = switch (m.level()) {
                        case LOG -> notFoundPriority();
                        case ERROR -> ToolLog.ERR;
                        case INFO -> ToolLog.INFO;
                    };
                    log.log(priority, m.text());
                    fatal |= priority <= ToolLog.CRIT && priority <= log.verbosity();
                }
                if (!r.ok()) {
                    rc = 1;
                }
                if (fatal) {
                    break; // kmod's tools exit at a FATAL message they print (not at one -q hides)
                }
            }
            return rc;
        }
        Prober prober = new Prober(kernel, new ModuleLoader(kernel, hookLimit, "/bin/sh", io));
        if (all) {
            for (String a : args) {
                if (insmod(ctx, prober, a, null) < 0) {
                    rc = 1;
                }
            }
        } else {
            String extra = String.join(" ", args.subList(1, args.size()));
            rc = insmod(ctx, prober, args.get(0), extra) < 0 ? 1 : 0;
        }
        ctx.warnings().forEach(log::error);
        return rc;
    }

    /** "Module X not found..." is FATAL for one module, a WARNING with -a (kmod's log_priority). */
    private int notFoundPriority() {
        return all ? ToolLog.WARNING : ToolLog.CRIT;
    }

    /** What a {@code --show-*} option reads from a module file, as the lines it prints. */
    private interface SymbolTable {
        String lines(KoFile ko) throws IOException;
    }

    /** One {@code 0xCRC<TAB>symbol} line per entry: the CRC as at least 8 hex digits (kmod's {@code 0x%08PRIx64}). */
    private static <T> String table(List<T> entries, java.util.function.ToLongFunction<T> crc,
                                    java.util.function.Function<T, String> symbol) {
        StringBuilder sb = new StringBuilder();
        for (T e : entries) {
            sb.append(String.format("0x%08x\t%s\n", crc.applyAsLong(e), symbol.apply(e)));
        }
        return sb.toString();
    }

    /**
     * kmod's {@code --show-modversions FILE} (the {@code __versions} table) and {@code --show-exports
     * FILE} (see {@link KoFile#exports()}): FILE is a path, never a module name; {@code what} names
     * the table in kmod's "could not get WHAT of FILE" message.
     */
    private int showSymbols(String file, String what, SymbolTable table) {
        Path p = Path.of(file);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            // kmod says "not found" for any failed stat of the path
            log.log(ToolLog.CRIT, "Module " + file + " not found.");
            return 1;
        }
        String cannot = "could not get " + what + " of " + file + ": ";
        String lines;
        try {
            if (attrs.isDirectory()) {
                log.log(ToolLog.CRIT, cannot + "Is a directory");
                return 1;
            }
            if (attrs.size() == 0) {
                // kmod maps the file before it reads it, and mapping zero bytes fails with EINVAL
                log.log(ToolLog.CRIT, cannot + KoFileException.EINVAL);
                return 1;
            }
            try (KoFile ko = KoFile.open(p)) {
                lines = table.lines(ko);
            }
        } catch (KoFileException e) {
            log.log(ToolLog.CRIT, cannot + e.reason());
            return 1;
        } catch (IOException e) {
            log.log(ToolLog.CRIT, cannot + "Input/output error");
            return 1;
        }
        out().print(lines);
        return 0;
    }

    private int showConfig(ModprobeConfig modprobe, ModuleIndex index) {
        StringBuilder sb = new StringBuilder();
        modprobe.dump(sb);
        sb.append("\n# End of configuration files. Dumping indexes now:\n\n");
        try {
            if (index != null) {
                index.dumpAliases(sb);
                index.dumpSymbols(sb);
            }
        } catch (java.io.IOException e) {
            log.error("cannot dump index: " + e.getMessage());
        }
        out().print(sb);
        out().flush();
        return 0;
    }

    /** tools/modprobe.c insmod(): look the name up, then probe every module it stands for. Returns -errno or 0. */
    private int insmod(ResolveContext ctx, Prober prober, String alias, String extra) {
        if (resolveAlias) {
            List<ModuleRef> list = ctx.find(alias);
            if (list.isEmpty()) {
                log.log(notFoundPriority(), "Module " + alias + " not found in directory " + ctx.modulesDir());
                return -Errno.ENOENT.code();
            }
            list.forEach(m -> out().println(m.name()));
            out().flush();
            return 0;
        }
        int[] err = {0};
        ProbeOutcome o = prober.probe(ctx, request(alias, extra), new Prober.Listener() {
            @Override
            public void beforeStep(LoadStep step) {
                if (show) {
                    print(step);
                }
            }

            @Override
            public void moduleDone(Prober.Result r) {
                // reported as each module ends, between the output of its install commands and the next's
                r.errors().forEach(log::error);
                err[0] = r.failed() ? -r.errno().code() : 0;
            }
        });
        if (o.notFound()) {
            log.log(notFoundPriority(), o.notFoundMessage());
            return -Errno.ENOENT.code();
        }
        return err[0];
    }

    /** modprobe's flags as one probe request. */
    private ProbeRequest request(String alias, String extra) {
        ProbeRequest r = ProbeRequest.fromCli(alias, extra).insertFlags(
                (force || forceModversion ? Kernel.MODULE_INIT_IGNORE_MODVERSIONS : 0)
                        | (force || forceVermagic ? Kernel.MODULE_INIT_IGNORE_VERMAGIC : 0));
        if (showDepends) {
            r = r.showDepends();
        } else if (dryRun) {
            r = r.dryRun();
        }
        if (firstTime) {
            r = r.firstTime();
        }
        if (useBlacklist) {
            r = r.useBlacklist();
        }
        if (ignoreCommands) {
            r = r.ignoreCommands();
        }
        return r;
    }

    /** The removal flags given, as the remover takes them. */
    private ModuleRemover.Options removalOptions() {
        Duration wait = waitMsec == null ? null : Duration.ofMillis(Long.decode(waitMsec));
        return new ModuleRemover.Options(true, removeHolders, force, firstTime, ignoreCommands,
                wait == null || wait.isZero() ? null : wait,
                line -> {
                    if (show) {
                        out().println(line);
                        out().flush();
                    }
                }, dryRun);
    }

    private void print(LoadStep step) {
        String line = null;
        if (step instanceof LoadStep.Insert s) {
            line = "insmod " + s.path() + " " + s.options();
        } else if (step instanceof LoadStep.Install s) {
            line = "install " + s.command() + " " + s.options();
        } else if (step instanceof LoadStep.Builtin s) {
            line = "builtin " + s.module();
        }
        if (line != null) {
            out().println(line);
            out().flush();
        }
    }
}
