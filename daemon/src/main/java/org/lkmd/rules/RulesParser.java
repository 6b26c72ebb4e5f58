package org.lkmd.rules;

import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses rules files in udev's syntax into a {@link RuleSet}. No I/O: feed it
 * {@code (file, text)} pairs in running order with {@link #add}, then {@link #finish}.
 *
 * <p><b>Lines.</b> A line whose first non-blank character is {@code #} is a comment, even inside
 * a continuation. A trailing backslash joins the next line (its leading blanks removed). A
 * physical line longer than {@link #LINE_MAX} bytes makes udev give up on the whole file, and so
 * does lkmd (error); a joined line reaching {@link #LINE_MAX} is dropped (error), as is a
 * continuation cut short by the end of the file.
 *
 * <p><b>What drops a line</b> (ERROR, the rest of the file loads), as in udev: a token that
 * cannot be lexed (no operator, unquoted or unterminated value, bad escape), an unknown key, an
 * operator or attribute the key does not take, an ENV property that cannot be set, an unknown
 * builtin, a bad TEST mode or OPTIONS link_priority/log_level. A GOTO without a later LABEL in
 * the same file loses its GOTO (ERROR); a line left without effect is then dropped.
 * <b>Warnings</b> (the line stays): what udev warns about (an operator it replaces, a second
 * GOTO or LABEL, a malformed substitution, a line with only conditions, which udev drops too),
 * OPTIONS values lkmd does not act on, and keys lkmd parses but ignores — NAME, SYMLINK, OWNER,
 * GROUP, MODE, TAG, TAGS, IMPORT, SYSCTL, SECLABEL, CONST, ATTR assignments and RUN{builtin}
 * other than kmod — reported once per key for the whole set. An ignored key is left out of its
 * rule: an ignored condition (IMPORT, TAG==, CONST==...) does not stop the rest of the rule.
 *
 * <p>{@code OPTIONS="last_rule"} (eudev and older udev; current udev warns about it) is honoured.
 *
 * <p>Which keys exist and what each takes (attribute, operators, value checks) is the table in
 * {@link RuleKey}; this class joins lines, lexes them, turns checked tokens into conditions and
 * actions, and hands each file's rules to {@link GotoResolver}.
 */
public final class RulesParser {
    /** udev's UDEV_LINE_SIZE. */
    public static final int LINE_MAX = 16 * 1024;

    static final Set<String> BUILTINS = Set.of("blkid", "btrfs", "dissect_image", "factory_reset", "hwdb",
            "input_id", "keyboard", "kmod", "net_driver", "net_id", "net_setup_link", "path_id", "tpm2_id",
            "uaccess", "usb_id");

    private static final Set<String> LOG_LEVELS = Set.of("emerg", "alert", "crit", "err", "warning", "notice",
            "info", "debug", "reset", "0", "1", "2", "3", "4", "5", "6", "7");

    private final List<Rule> rules = new ArrayList<>();
    private final List<String> files = new ArrayList<>();
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Map<String, Integer> ignored = new LinkedHashMap<>();
    private final Map<String, RuleSource> ignoredFirst = new LinkedHashMap<>();
    /** Lines of the current file with an ignored assignment: udev applies them, so lkmd evaluates them (for the trace). */
    private final Set<RuleSource> hasIgnoredUpdate = new HashSet<>();

    /** Parses one text as a whole rule set. */
    public static ParseResult<RuleSet> parse(String file, String text) {
        RulesParser p = new RulesParser();
        p.add(file, text);
        return p.finish();
    }

    /** Reports a problem found outside the text (by the loader), kept in order with the parse diagnostics. */
    public void report(Diagnostic d) {
        diagnostics.add(d);
    }

    /** Parses one rules file; its rules run after those of files added before. */
    public void add(String file, String text) {
        files.add(file);
        String[] lines = text.split("\n", -1);
        int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
        for (int i = 0; i < count; i++) {
            if (lines[i].length() > LINE_MAX) {
                diagnostics.add(Diagnostic.error(file, i + 1, "line longer than " + LINE_MAX
                        + " bytes, whole file ignored"));
                return;
            }
        }
        List<Rule> local = new ArrayList<>();
        StringBuilder continuation = null;
        boolean tooLong = false;
        int lineNo = 0;
        for (int i = 0; i < count; i++) {
            lineNo = i + 1;
            String raw = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String line = raw.substring(skipBlank(raw, 0));
            if (line.startsWith("#")) {
                continue;
            }
            if (continuation != null && !tooLong) {
                if (continuation.length() + line.length() >= LINE_MAX) {
                    tooLong = true;
                }
                continuation.append(line);
                if (!tooLong) {
                    line = continuation.toString();
                }
            }
            if (line.endsWith("\\")) {
                if (tooLong) {
                    continue;
                }
                if (continuation == null) {
                    continuation = new StringBuilder(line.substring(0, line.length() - 1));
                } else {
                    continuation.setLength(continuation.length() - 1);
                }
                continue;
            }
            if (tooLong) {
                diagnostics.add(Diagnostic.error(file, lineNo, "line too long, ignored"));
            } else if (!line.isEmpty()) {
                Rule r = parseLine(new RuleSource(file, lineNo), line);
                if (r != null) {
                    local.add(r);
                }
            }
            continuation = null;
            tooLong = false;
        }
        if (continuation != null) {
            diagnostics.add(Diagnostic.error(file, lineNo, "unexpected end of file after line continuation, line ignored"));
        }
        rules.addAll(GotoResolver.resolve(local, rules.size(), hasIgnoredUpdate::contains, diagnostics::add));
        hasIgnoredUpdate.clear();
    }

    /** The rule set of everything added, with all diagnostics. Always has a value. */
    public ParseResult<RuleSet> finish() {
        List<Diagnostic> all = new ArrayList<>(diagnostics);
        ignored.forEach((key, n) -> {
            RuleSource s = ignoredFirst.get(key);
            all.add(Diagnostic.warning(s.file(), s.line(), key + " is not used by lkmd, ignored ("
                    + n + (n == 1 ? " time" : " times") + " in this rule set)"));
        });
        return ParseResult.of(new RuleSet(rules, files, ignored), all);
    }

    /** Parses one logical line; null when it is dropped. */
    private Rule parseLine(RuleSource src, String line) {
        List<RuleLineLexer.Token> tokens;
        try {
            tokens = RuleLineLexer.lex(line);
        } catch (RuleLineLexer.LexException e) {
            error(src, "invalid key/value pair (" + e.getMessage() + "), line ignored");
            return null;
        }
        LineBuilder b = new LineBuilder(src);
        for (RuleLineLexer.Token t : tokens) {
            String problem = token(b, t);
            if (problem != null) {
                error(src, t.text() + ": " + problem + ", line ignored");
                return null;
            }
        }
        if (b.matches.isEmpty() && b.actions.isEmpty() && b.label == null && b.gotoLabel == null && !b.ignoredUpdate) {
            warn(src, "line has no effect, ignored");
            return null;
        }
        boolean updates = !b.actions.isEmpty() || b.ignoredUpdate || b.gotoLabel != null
                || b.matches.stream().anyMatch(m -> m.key() == Match.Key.PROGRAM);
        if (!updates && b.label == null) {
            warn(src, "line has no effect, ignored");
            return null;
        }
        if (b.ignoredUpdate) {
            hasIgnoredUpdate.add(src);
        }
        b.matches.sort(Comparator.comparing(Match::key));
        b.actions.sort(Comparator.comparing(Action::type));
        return new Rule(src, b.matches, b.actions, b.label, b.gotoLabel, -1, updates);
    }

    /** One rule under construction. */
    private static final class LineBuilder {
        final RuleSource src;
        final List<Match> matches = new ArrayList<>();
        final List<Action> actions = new ArrayList<>();
        String label;
        String gotoLabel;
        boolean ignoredUpdate;

        LineBuilder(RuleSource src) {
            this.src = src;
        }
    }

    /** Handles one token; returns why the line must be dropped, or null. */
    private String token(LineBuilder b, RuleLineLexer.Token t) {
        String key = t.key();
        String attr = t.attr();
        String value = t.value();
        if (!t.op().isMatch() && t.caseInsensitive()) {
            return "prefix 'i' is only for '==' and '!='";
        }
        RuleKey spec = RuleKey.of(key);
        if (spec == null) {
            return "unknown key '" + key + "'";
        }
        RuleKey.Checked checked = spec.check(attr, t.op(), value, t.caseInsensitive(), w -> warn(b.src, w));
        if (checked.error() != null) {
            return checked.error();
        }
        Operator op = checked.op();
        boolean match = op.isMatch();
        boolean ci = t.caseInsensitive();
        switch (key) {
            case "ACTION", "DEVPATH", "KERNEL", "DRIVER", "KERNELS", "SUBSYSTEMS", "DRIVERS", "RESULT" ->
                    addMatch(b, Match.Key.valueOf(key), op, null, value, ci, -1);
            case "SUBSYSTEM" -> {
                if (value.equals("bus") || value.equals("class")) {
                    warn(b.src, "\"" + value + "\" must be specified as \"subsystem\"");
                }
                addMatch(b, Match.Key.SUBSYSTEM, op, null, value, ci, -1);
            }
            case "ENV" -> {
                if (match) {
                    addMatch(b, Match.Key.ENV, op, attr, value, ci, -1);
                } else {
                    b.actions.add(new Action(Action.Type.ENV, op, attr, value));
                }
            }
            case "ATTR" -> {
                if (match) {
                    addMatch(b, Match.Key.ATTR, op, attr, value, ci, -1);
                } else {
                    ignore(b, "ATTR (assignment)", true);
                }
            }
            case "ATTRS" -> {
                if (attr.startsWith("device/")) {
                    warn(b.src, "'device' link may not be available in future kernels");
                }
                if (attr.contains("../")) {
                    warn(b.src, "direct reference to parent sysfs directory, may break in future kernels");
                }
                addMatch(b, Match.Key.ATTRS, op, attr, value, ci, -1);
            }
            case "TEST" -> addMatch(b, Match.Key.TEST, op, null, value, false,
                    attr == null || attr.isEmpty() ? -1 : Integer.parseInt(attr, 8));
            // PROGRAM="..." is a condition too: the program must succeed
            case "PROGRAM" -> addMatch(b, Match.Key.PROGRAM, match ? op : Operator.MATCH, null, value, false, -1);
            case "OPTIONS" -> {
                return options(b, op, value);
            }
            case "RUN" -> {
                return run(b, op, attr, value);
            }
            case "GOTO" -> {
                if (b.gotoLabel != null) {
                    warn(b.src, "contains multiple GOTO keys, ignoring GOTO=\"" + value + "\"");
                } else {
                    b.gotoLabel = value;
                }
            }
            case "LABEL" -> {
                if (b.label != null) {
                    warn(b.src, "contains multiple LABEL keys, ignoring LABEL=\"" + b.label + "\"");
                }
                b.label = value;
            }
            default -> {
                return ignoredKey(b, key, attr, op, value);
            }
        }
        return null;
    }

    private String options(LineBuilder b, Operator op, String value) {
        Operator aop = op == Operator.ADD ? Operator.ASSIGN : op;
        switch (value) {
            case "last_rule" -> b.actions.add(new Action(Action.Type.LAST_RULE, aop, null, value));
            case "string_escape=none" -> b.actions.add(new Action(Action.Type.ESCAPE_NONE, aop, null, value));
            case "string_escape=replace" -> b.actions.add(new Action(Action.Type.ESCAPE_REPLACE, aop, null, value));
            case "dump", "db_persist", "watch", "nowatch" -> ignore(b, "OPTIONS=\"" + value + "\"", true);
            default -> {
                if (value.startsWith("static_node=")) {
                    ignore(b, "OPTIONS=\"static_node\"", true);
                } else if (value.startsWith("link_priority=")) {
                    if (!value.substring(14).matches("[+-]?[0-9]+")) {
                        return "invalid link priority '" + value.substring(14) + "'";
                    }
                    ignore(b, "OPTIONS=\"link_priority\"", true);
                } else if (value.startsWith("log_level=")) {
                    if (!LOG_LEVELS.contains(value.substring(10))) {
                        return "invalid log level '" + value.substring(10) + "'";
                    }
                    ignore(b, "OPTIONS=\"log_level\"", true);
                } else {
                    warn(b.src, "invalid value for OPTIONS key, ignoring: '" + value + "'");
                }
            }
        }
        return null;
    }

    private String run(LineBuilder b, Operator op, String attr, String value) {
        if (attr == null || attr.equals("program")) {
            b.actions.add(new Action(Action.Type.RUN_PROGRAM, op, null, value));
            return null;
        }
        List<String> words = CommandLine.split(value);
        String name = words.isEmpty() ? "" : words.get(0);
        if (!BUILTINS.contains(name)) {
            return "unknown builtin command '" + value + "'";
        }
        if (!name.equals("kmod")) {
            ignore(b, "RUN{builtin}=\"" + name + "\"", true);
        } else if (words.size() < 2 || !words.get(1).equals("load")) {
            warn(b.src, "RUN{builtin}=\"" + value + "\": the kmod builtin only knows 'load', ignored");
            b.ignoredUpdate = true;
        } else {
            b.actions.add(new Action(Action.Type.RUN_BUILTIN, op, null, value));
        }
        return null;
    }

    /** The keys udev knows and lkmd ignores, once checked against the key table: what is left to check. */
    private String ignoredKey(LineBuilder b, String key, String attr, Operator op, String value) {
        boolean match = op.isMatch();
        switch (key) {
            case "NAME" -> {
                if (!match && value.equals("%k")) {
                    return "NAME=\"%k\" has no effect";
                }
                if (!match && value.isEmpty()) {
                    return "NAME=\"\" has no effect";
                }
            }
            case "IMPORT" -> {
                if (attr.equals("builtin")) {
                    List<String> words = CommandLine.split(value);
                    if (words.isEmpty() || !BUILTINS.contains(words.get(0))) {
                        return "unknown builtin command '" + value + "'";
                    }
                }
                ignore(b, "IMPORT{" + attr + "}", true);
                return null;
            }
            default -> {
                // SYMLINK, CONST, TAG, TAGS, SYSCTL, OWNER, GROUP, MODE, SECLABEL: nothing more
            }
        }
        ignore(b, key + (match ? " (match)" : ""), !match);
        return null;
    }

    private void addMatch(LineBuilder b, Match.Key key, Operator op, String attr, String value, boolean ci, int mode) {
        boolean usesFormat = key == Match.Key.TEST || key == Match.Key.PROGRAM;
        if (!usesFormat && value.equals("?*")) {
            // udev reads KEY=="?*" as KEY!="" (and KEY!="?*" as KEY=="")
            op = op == Operator.MATCH ? Operator.NOMATCH : Operator.MATCH;
            value = "";
        }
        b.matches.add(new Match(key, op, attr, Pattern.compile(value, !usesFormat, key == Match.Key.SUBSYSTEM, ci), mode));
    }

    private void ignore(LineBuilder b, String what, boolean update) {
        ignored.merge(what, 1, Integer::sum);
        ignoredFirst.putIfAbsent(what, b.src);
        if (update) {
            b.ignoredUpdate = true;
        }
    }

    private void error(RuleSource src, String message) {
        diagnostics.add(Diagnostic.error(src.file(), src.line(), message));
    }

    private void warn(RuleSource src, String message) {
        diagnostics.add(Diagnostic.warning(src.file(), src.line(), message));
    }

    private static int skipBlank(String s, int i) {
        while (i < s.length() && RuleLineLexer.isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
