package org.lkmd.cli;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.index.DevnameEntry;
import org.lkmd.index.DevnameParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * {@code static-nodes}: the device nodes of {@code /lib/modules/RELEASE/modules.devname} in kmod 30's
 * formats ({@code human}, {@code tmpfiles} for systemd-tmpfiles, {@code devname}), on standard
 * output or into {@code -o FILE} (its missing parent directories created 0755). The release is
 * {@code --kernel-release}, else the running kernel's. Output, messages and exit status are kmod
 * 30's: a missing file is a warning and exit 0; an invalid line is reported, skipped, and makes the
 * exit status 1.
 */
@Command(name = "static-nodes", description = "Output the static-node information of the running kernel.")
public final class StaticNodes extends Verb {
    private static final String[][] FORMATS = {
        {"human", "(default) a human readable format. Do not parse."},
        {"tmpfiles", "the tmpfiles.d(5) format used by systemd-tmpfiles."},
        {"devname", "the modules.devname format."},
    };

    /** {@code -f FORMAT} and {@code -h} in command-line order (null for {@code -h}): kmod acts on the first that ends it. */
    private final List<String> formatsAndHelp = new ArrayList<>();

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", description = "Choose the output format: human, tmpfiles, devname.")
    void format(List<String> given) {
        // a repeatable option: picocli passes every value given so far (first an empty list); the last one is new
        if (!given.isEmpty()) {
            formatsAndHelp.add(given.get(given.size() - 1));
        }
    }

    /** The last {@code -o FILE}; null for standard output. */
    private String output;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the output to FILE.")
    void output(List<String> given) {
        output = given.isEmpty() ? null : given.get(given.size() - 1);
    }

    @Option(names = {"-h", "--help"}, description = "Show this help.")
    void help(boolean help) {
        formatsAndHelp.add(null);
    }

    /** kmod takes and ignores operands. */
    @Parameters(hidden = true)
    List<String> ignored = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        String format = "human";
        for (String f : formatsAndHelp) {
            if (f == null) {
                printHelp();
                return 0;
            }
            if (!List.of("human", "tmpfiles", "devname").contains(f)) {
                err().print("Unknown format: '" + f + "'.\n");
                printHelp();
                return 1;
            }
            format = f;
        }
        String release = releaseOption() != null ? releaseOption() : Kernels.releaseOf(root());
        String shown = "/lib/modules/" + release + "/modules.devname";
        Path file = root().resolve(shown);
        byte[] in;
        try {
            // kmod opens a directory without error and reads nothing from it
            in = Files.isDirectory(file) ? new byte[0] : Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            err().print("Warning: " + shown + " not found - ignoring\n");
            return 0;
        } catch (IOException e) {
            err().print("Error: could not open " + shown + " - " + strerror(e) + "\n");
            return 1;
        }
        ParseResult<List<DevnameEntry>> parsed =
                DevnameParser.parse(shown, new String(in, StandardCharsets.ISO_8859_1));
        OutputStream out;
        if (output == null) {
            out = out();
        } else {
            String problem = makeParents(output);
            if (problem != null) {
                err().print("Error: could not create parent directory for " + output + " - " + problem + ".\n");
                return 1;
            }
            try {
                if (output.isEmpty()) {
                    throw new NoSuchFileException(output);
                }
                out = Files.newOutputStream(Path.of(output));
            } catch (IOException e) {
                err().print("Error: could not create " + output + " - " + strerror(e) + "\n");
                return 1;
            }
        }
        try {
            write(out, parsed, format);
        } finally {
            if (output != null) {
                out.close();
            } else {
                out.flush();
            }
        }
        return parsed.hasErrors() ? 1 : 0;
    }

    /** The entries and the invalid lines' errors in file order, each error as kmod words it. */
    private void write(OutputStream out, ParseResult<List<DevnameEntry>> parsed, String format) throws IOException {
        Iterator<Diagnostic> errors = parsed.diagnostics().iterator();
        Diagnostic nextError = errors.hasNext() ? errors.next() : null;
        for (DevnameEntry e : parsed.value().orElseThrow()) {
            while (nextError != null && nextError.line() < e.line()) {
                out.flush();
                err().print("Error: " + nextError.message());
                nextError = errors.hasNext() ? errors.next() : null;
            }
            out.write(render(e, format).getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
        while (nextError != null) {
            err().print("Error: " + nextError.message());
            nextError = errors.hasNext() ? errors.next() : null;
        }
    }

    static String render(DevnameEntry e, String format) {
        switch (format) {
            case "tmpfiles": {
                StringBuilder sb = new StringBuilder();
                int slash = e.devname().lastIndexOf('/');
                if (slash >= 0) {
                    sb.append("d /dev/").append(e.devname(), 0, slash).append(" 0755 - - -\n");
                }
                sb.append(e.type()).append("! /dev/").append(e.devname()).append(" 0600 - - - ")
                        .append(e.major()).append(':').append(e.minor()).append('\n');
                return sb.toString();
            }
            case "devname":
                return e.module() + " " + e.devname() + " " + e.type() + e.major() + ":" + e.minor() + "\n";
            default:
                return "Module: " + e.module() + "\n"
                        + "\tDevice node: /dev/" + e.devname() + "\n"
                        + "\t\tType: " + (e.type() == 'c' ? "character" : "block") + " device\n"
                        + "\t\tMajor: " + e.major() + "\n"
                        + "\t\tMinor: " + e.minor() + "\n";
        }
    }

    /**
     * Creates the missing directories above {@code output}, 0755 (less the umask); null when done,
     * else the reason as kmod 30 prints it ({@code Success} when the parent exists but is not a
     * directory: kmod reports an errno that nothing set).
     */
    private static String makeParents(String output) {
        int slash = output.lastIndexOf('/');
        if (slash <= 0) {
            return null;
        }
        Path parent = Path.of(output.substring(0, slash));
        if (Files.exists(parent)) {
            return Files.isDirectory(parent) ? null : "Success";
        }
        Path dir = parent.isAbsolute() ? parent.getRoot() : Path.of("");
        for (Path part : parent) {
            dir = dir.resolve(part);
            try {
                Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
            } catch (FileAlreadyExistsException e) {
                // an existing component is fine; one that is not a directory fails at the next mkdir
            } catch (IOException e) {
                return strerror(e);
            }
        }
        return null;
    }

    /** The C library's wording of the error behind a Java I/O exception. */
    private static String strerror(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "File exists";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String m = e.getMessage();
        return m != null ? m : e.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    private void printHelp() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage:\n\tlkmd static-nodes [options]\n\n")
                .append("kmod static-nodes outputs the static-node information of the currently running kernel.\n\n")
                .append("Options:\n")
                .append("\t-f, --format=FORMAT  choose format to use: see \"Formats\"\n")
                .append("\t-o, --output=FILE    write output to file\n")
                .append("\t-h, --help           show this help\n\n")
                .append("Formats:\n");
        for (String[] f : FORMATS) {
            sb.append(String.format("\t%-12s %s\n", f[0], f[1]));
        }
        out().print(sb);
        out().flush();
    }
}
