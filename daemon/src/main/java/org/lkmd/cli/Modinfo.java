package org.lkmd.cli;

import org.lkmd.elf.KoFile;
import org.lkmd.elf.KoFileException;
import org.lkmd.elf.ModInfo;
import org.lkmd.elf.ModuleInfoFormatter;
import org.lkmd.elf.ModuleLookup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code modinfo}: kmod 30's output for module files, module names and aliases (looked up through
 * {@code modules.dep} and {@code modules.alias} of {@code -b BASEDIR}/{@code --root} and {@code -k}
 * release), and builtin modules (from {@code modules.builtin.modinfo}).
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
        ModuleLookup lookup = new ModuleLookup(moduleDir, dirname);
        int rc = 0;
        for (String name : modules) {
            Path asPath = Path.of(name);
            if (Files.isRegularFile(asPath) && org.lkmd.elf.ModuleName.isModuleFile(asPath.getFileName().toString())) {
                // like kmod: relative paths get the working directory prepended, nothing is normalized
                String shown = name.startsWith("/") ? name : System.getProperty("user.dir") + "/" + name;
                rc |= showFile(fmt, asPath, shown, org.lkmd.elf.ModuleName.fromPath(name));
                continue;
            }
            List<ModuleLookup.Found> found = lookup.find(name);
            if (found.isEmpty()) {
                err().print("modinfo: ERROR: Module " + name + " not found.\n");
                rc = 1;
                continue;
            }
            for (ModuleLookup.Found m : found) {
                if (m.path() == null) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    ModInfo info = m.builtinInfo() != null ? m.builtinInfo() : new ModInfo(List.of());
                    fmt.formatBuiltin(m.name(), info, buf);
                    out().write(buf.toByteArray());
                } else {
                    rc |= showFile(fmt, m.path(), m.shownPath(), m.name());
                }
            }
        }
        out().flush();
        return rc;
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
