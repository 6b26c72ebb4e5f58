package org.lkmd.modprobe;

import org.lkmd.base.ModuleNames;

import org.lkmd.base.Diagnostic;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses one modprobe.d file (text in, entries out, no I/O) the way libkmod does:
 * <ul>
 *   <li>a backslash joins the next line when it ends a line, and is dropped before any other
 *       character (so {@code \\} is one backslash); a problem is reported at the last physical line
 *       of the joined line;</li>
 *   <li>a line whose first character is {@code #}, or that holds only blanks, is skipped;</li>
 *   <li>words are separated by spaces and tabs; {@code options}, {@code install}, {@code remove},
 *       {@code softdep} take the rest of the line after the single separator following the module
 *       name, blanks kept (tabs in options become spaces);</li>
 *   <li>module names and alias patterns go through {@link ModuleNames#normalizeAlias}; a bracket
 *       left open makes the line bad.</li>
 * </ul>
 * A bad line is reported ({@code file:line: ignoring bad line starting with 'WORD'}) and skipped;
 * the rest of the file applies. Besides kmod's commands it reads lkmd's {@code deny NAME} (exactly
 * one module name; kmod's own parser rejects the line).
 */
public final class ModprobeConfigParser {
    /** Longest logical line accepted; a longer one is reported and skipped. */
    public static final int MAX_LINE = 64 * 1024;

    private ModprobeConfigParser() {
    }

    /** Parses {@code text}, naming {@code file} in diagnostics; entries and diagnostics are appended. */
    public static void parse(String file, String text, List<ConfigEntry> entries, List<Diagnostic> diagnostics) {
        int lineNo = 0;
        int i = 0;
        int n = text.length();
        StringBuilder line = new StringBuilder();
        while (i < n) {
            line.setLength(0);
            boolean end = false;
            while (i < n && !end) {
                char c = text.charAt(i++);
                if (c == '\n') {
                    lineNo++;
                    end = true;
                } else if (c == '\\') {
                    if (i < n && text.charAt(i) == '\n') {
                        lineNo++;
                        i++;
                    } else if (i < n) {
                        line.append(text.charAt(i++));
                    }
                } else {
                    line.append(c);
                }
            }
            if (!end) {
                lineNo++;
            }
            if (line.length() > MAX_LINE) {
                diagnostics.add(Diagnostic.error(file, lineNo,
                        "line longer than " + MAX_LINE + " bytes, ignored"));
                continue;
            }
            parseLine(file, lineNo, line.toString(), entries, diagnostics);
        }
    }

    private static void parseLine(String file, int lineNo, String line, List<ConfigEntry> entries,
                                  List<Diagnostic> diagnostics) {
        if (line.isEmpty() || line.charAt(0) == '#') {
            return;
        }
        Tokens t = new Tokens(line);
        String cmd = t.next();
        if (cmd == null) {
            return;
        }
        ConfigEntry entry = switch (cmd) {
            case "alias" -> {
                Optional<String> alias = name(t.next());
                Optional<String> module = name(t.next());
                yield alias.isPresent() && module.isPresent()
                        ? new ConfigEntry.Alias(alias.get(), module.get(), file, lineNo) : null;
            }
            case "blacklist" -> name(t.next()).map(m -> new ConfigEntry.Blacklist(m, file, lineNo)).orElse(null);
            case "options" -> {
                Optional<String> module = name(t.next());
                String rest = t.rest();
                yield module.isPresent() && rest != null
                        ? new ConfigEntry.Options(module.get(), rest.replace('\t', ' '), file, lineNo) : null;
            }
            case "install" -> {
                Optional<String> module = name(t.next());
                String rest = t.rest();
                yield module.isPresent() && rest != null ? new ConfigEntry.Install(module.get(), rest, file, lineNo) : null;
            }
            case "remove" -> {
                Optional<String> module = name(t.next());
                String rest = t.rest();
                yield module.isPresent() && rest != null ? new ConfigEntry.Remove(module.get(), rest, file, lineNo) : null;
            }
            case "softdep" -> {
                Optional<String> module = name(t.next());
                String rest = t.rest();
                yield module.isPresent() && rest != null
                        ? new ConfigEntry.SoftdepLine(parseSoftdep(module.get(), rest), file, lineNo) : null;
            }
            case "weakdep" -> {
                Optional<String> module = name(t.next());
                String rest = t.rest();
                yield module.isPresent() && rest != null
                        ? new ConfigEntry.WeakdepLine(new Weakdep(module.get(), words(rest)), file, lineNo) : null;
            }
            case "deny" -> {
                // lkmd's own: exactly one module name; a bare or wordy line would deny nothing or
                // the wrong thing, so it is reported and skipped
                String word = t.next();
                Optional<String> module = word == null || t.next() != null ? Optional.empty()
                        : ModuleNames.normalizeAlias(word);
                if (module.isEmpty()) {
                    diagnostics.add(Diagnostic.error(file, lineNo,
                            "ignoring bad line starting with 'deny': one module name expected"));
                    yield null;
                }
                yield new ConfigEntry.Deny(ModuleNames.normalizeName(module.get()), file, lineNo);
            }
            case "include", "config" -> {
                diagnostics.add(Diagnostic.error(file, lineNo,
                        "command " + cmd + " is deprecated and not parsed anymore"));
                yield null;
            }
            default -> {
                diagnostics.add(bad(file, lineNo, cmd));
                yield null;
            }
        };
        if (entry != null) {
            entries.add(entry);
        } else if (!cmd.equals("include") && !cmd.equals("config") && isKnown(cmd)) {
            diagnostics.add(bad(file, lineNo, cmd));
        }
    }

    private static boolean isKnown(String cmd) {
        return switch (cmd) {
            case "alias", "blacklist", "options", "install", "remove", "softdep", "weakdep" -> true;
            default -> false;
        };
    }

    private static Diagnostic bad(String file, int lineNo, String cmd) {
        return Diagnostic.error(file, lineNo, "ignoring bad line starting with '" + cmd + "'");
    }

    private static Optional<String> name(String word) {
        return word == null ? Optional.empty() : ModuleNames.normalizeAlias(word);
    }

    /**
     * The {@code pre:}/{@code post:} lists: words before the first keyword are ignored; a word is a
     * keyword only when it is exactly {@code pre:} or {@code post:}.
     */
    static Softdep parseSoftdep(String module, String rest) {
        List<String> pre = new ArrayList<>();
        List<String> post = new ArrayList<>();
        List<String> mode = null;
        for (String w : words(rest)) {
            if (w.equals("pre:")) {
                mode = pre;
            } else if (w.equals("post:")) {
                mode = post;
            } else if (mode != null) {
                mode.add(w);
            }
        }
        return new Softdep(module, pre, post);
    }

    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.split("[ \t\n\r\f\u000b]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** {@code strtok_r} over spaces and tabs, with libkmod's "rest of line" after a word. */
    private static final class Tokens {
        private final String s;
        private int pos;

        Tokens(String s) {
            this.s = s;
        }

        String next() {
            while (pos < s.length() && isSep(s.charAt(pos))) {
                pos++;
            }
            if (pos >= s.length()) {
                return null;
            }
            int start = pos;
            while (pos < s.length() && !isSep(s.charAt(pos))) {
                pos++;
            }
            String w = s.substring(start, pos);
            if (pos < s.length()) {
                pos++; // the one separator strtok overwrites
            }
            return w;
        }

        /** The rest of the line after the last word's separator; null when nothing is left. */
        String rest() {
            if (pos >= s.length()) {
                return null;
            }
            String r = s.substring(pos);
            pos = s.length();
            return r;
        }

        private static boolean isSep(char c) {
            return c == ' ' || c == '\t';
        }
    }
}
