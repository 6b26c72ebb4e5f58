package org.lkmd.cli;

import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.loader.FileInserter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code insmod [-f] FILE [PARAM...]}: inserts one module file, no dependency handling, with kmod's
 * messages and exit codes (0, or 1 on any error).
 */
@Command(name = "insmod", description = "Insert a module file into the Linux kernel.")
public final class Insmod extends Verb {
    @Option(names = {"-f", "--force"}, description = "Ignore version magic and symbol versions (dangerous).")
    boolean force;

    @Option(names = {"-p", "-s"}, hidden = true, description = "Accepted for compatibility, ignored.")
    boolean ignored;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE")
    String file;

    @Parameters(index = "1..*", paramLabel = "PARAM", description = "Module parameters (name=value).")
    List<String> params = List.of();

    @Override
    public Integer call() {
        if (file == null) {
            err().println("insmod: ERROR: missing filename.");
            return 1;
        }
        if (file.equals("-")) {
            err().println("insmod: ERROR: this tool does not support loading from stdin!");
            return 1;
        }
        Path path = Path.of(file);
        if (!Files.exists(path)) {
            err().println("insmod: ERROR: could not load module " + file + ": " + Errno.ENOENT.text());
            return 1;
        }
        int flags = force ? Kernel.MODULE_INIT_IGNORE_MODVERSIONS | Kernel.MODULE_INIT_IGNORE_VERMAGIC : 0;
        try {
            new FileInserter(kernel()).insert(path, String.join(" ", params), flags);
            return 0;
        } catch (KernelException e) {
            err().println("insmod: ERROR: could not insert module " + file + ": " + reason(e.errno()));
            return 1;
        }
    }

    /** insmod's wording, which differs from modprobe's for the common load errors. */
    static String reason(Errno errno) {
        return switch (errno.name()) {
            case "ENOEXEC" -> "Invalid module format";
            case "ENOENT" -> "Unknown symbol in module";
            case "ESRCH" -> "Module has wrong symbol version";
            case "EINVAL" -> "Invalid parameters";
            default -> errno.text();
        };
    }
}
