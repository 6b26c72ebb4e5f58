package org.lkmd.cli;

import org.lkmd.base.Root;
import org.lkmd.depmod.DepmodConfig;
import org.lkmd.depmod.DepmodLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code depmod}: kmod 30's flags, files and messages. {@code -b BASEDIR} (or lkmd's {@code --root})
 * locates {@code lib/modules/RELEASE}; depmod.d is read from the default dirs under {@code --root}
 * (as kmod reads the host's config even with {@code -b}) or from {@code -C}. {@code -o OUTDIR}
 * (kmod 31) writes the files under {@code OUTDIR/lib/modules/RELEASE} instead, reading nothing there
 * but an existing {@code modules.weakdep}.
 */
@Command(name = "depmod", description = "Generate modules.dep and map files.")
public final class Depmod extends Verb {
    private static final Pattern VERSION = Pattern.compile("^\\s*[+-]?\\d+\\.\\s*[+-]?\\d+.*", Pattern.DOTALL);

    @Option(names = {"-a", "--all"}, description = "Probe all modules")
    boolean all;

    @Option(names = {"-A", "--quick"}, description = "Only does the work if there's a new module")
    boolean quick;

    @Option(names = {"-b", "--basedir"}, paramLabel = "DIR", description = "Use an image of a module tree.")
    String basedir;

    @Option(names = {"-o", "--outdir"}, paramLabel = "DIR", description = "Output root path (default: same as <basedir>).")
    String outdir;

    @Option(names = {"-C", "--config"}, paramLabel = "PATH", description = "Read configuration from PATH")
    List<Path> config = new ArrayList<>();

    @Option(names = {"-E", "--symvers"}, paramLabel = "FILE", description = "Use Module.symvers file to check symbol versions.")
    Path symvers;

    @Option(names = {"-F", "--filesyms"}, paramLabel = "FILE", description = "Use the file instead of the current kernel symbols.")
    Path systemMap;

    @Option(names = {"-e", "--errsyms"}, description = "Report not supplied symbols")
    boolean errsyms;

    @Option(names = {"-n", "--show", "--dry-run"}, description = "Write the dependency file on stdout only")
    boolean show;

    @Option(names = {"-P", "--symbol-prefix"}, paramLabel = "CHAR", description = "Architecture symbol prefix")
    String symbolPrefix;

    @Option(names = {"-v", "--verbose"}, description = "Enable verbose mode")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-w", "--warn"}, description = "Warn on duplicates")
    boolean warn;

    @Option(names = {"-u", "-q", "-r", "-m", "--unresolved-error", "--quiet", "--root-deprecated", "--map"}, hidden = true)
    boolean[] deprecated = new boolean[0];

    @Option(names = {"-V", "--version"}, description = "show version")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Parameters(paramLabel = "[forced_version] [module...]", description = "Kernel release, then module files")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        for (int i = 0; i < deprecated.length; i++) {
            err().println("ignored deprecated option");
        }
        if (version) {
            out().println("kmod version 30");
            return 0;
        }
        DepmodLog log = new DepmodLog(err(), verbose.length);
        char prefix = 0;
        if (symbolPrefix != null) {
            if (symbolPrefix.length() != 1) {
                log.fatal("-P only takes a single char");
                return 1;
            }
            prefix = symbolPrefix.charAt(0);
        }
        List<String> rest = new ArrayList<>(args);
        String release;
        if (!rest.isEmpty() && VERSION.matcher(rest.get(0)).matches()) {
            release = rest.remove(0);
        } else {
            release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        }
        Root r = root();
        // kmod builds "BASEDIR/lib/modules/REL" as a string and prints it verbatim ("-b /" gives "//lib/...")
        String baseText = basedir != null ? absolute(basedir) : r.isSystem() ? "" : r.dir().toString();
        String dirname = baseText + "/lib/modules/" + release;
        Path moduleDir = Path.of(dirname);
        String outDirname = outdir != null ? absolute(outdir) + "/lib/modules/" + release : dirname;
        List<Path> configPaths = new ArrayList<>();
        if (config.isEmpty()) {
            for (String d : DepmodConfig.DEFAULT_DIRS) {
                configPaths.add(r.resolve(d));
            }
        } else {
            configPaths.addAll(config);
        }
        boolean doAll = all || rest.isEmpty();
        List<Path> explicit = new ArrayList<>();
        if (!doAll) {
            for (String p : rest) {
                if (!p.startsWith("/")) {
                    log.fatal(p + ": not absolute path.");
                    return 1;
                }
                explicit.add(Path.of(p));
            }
        }
        org.lkmd.depmod.Depmod.Options opt = new org.lkmd.depmod.Depmod.Options(moduleDir, dirname,
                Path.of(outDirname), outDirname, release, configPaths, symvers,
                systemMap, errsyms, show, warn, quick, prefix, r::resolve, explicit);
        try {
            return new org.lkmd.depmod.Depmod(opt, log, out()).run();
        } catch (IOException e) {
            log.error(e.getMessage());
            return 1;
        }
    }

    /** A directory option as kmod makes it absolute: a relative path is put after the working directory, unnormalized. */
    private static String absolute(String dir) {
        return dir.startsWith("/") ? dir : System.getProperty("user.dir") + "/" + dir;
    }
}
