package org.lkmd.rules;

import org.lkmd.base.Root;
import org.lkmd.uevent.Uevent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs one uevent through a {@link RuleSet} the way udev does: rules in order; a rule applies
 * when all its conditions hold, conditions evaluated in udev's order (KERNELS, SUBSYSTEMS,
 * DRIVERS and ATTRS together against the device, then each parent in turn, until one device
 * satisfies them all); then its assignments: ENV (visible to later rules and to this rule's RUN
 * values), RUN (queued, not executed), OPTIONS last_rule (stop); then its GOTO jumps forward to
 * the LABEL. Match values are patterns, never substituted; ATTR names, TEST, PROGRAM, ENV
 * values and RUN values are substituted (see {@link Substitutions}). An attribute that does not
 * exist fails both {@code ==} and {@code !=}, as in udev. PROGRAM runs through the
 * {@link ProgramRunner}; its output (trailing newlines removed, unsafe characters replaced)
 * is what RESULT and {@code $result} see.
 *
 * <p>Stateless apart from its collaborators: one instance serves all worker threads.
 */
public final class RulesEngine {
    private static final Logger log = LoggerFactory.getLogger(RulesEngine.class);

    private final Root root;
    private final ProgramRunner programs;

    /**
     * @param root     where TEST's absolute paths and {@code [subsystem/name]} devices are looked up
     * @param programs runs PROGRAM matches
     */
    public RulesEngine(Root root, ProgramRunner programs) {
        this.root = root;
        this.programs = programs;
    }

    /**
     * Runs {@code event} through {@code rules}.
     *
     * @param device the event's device in sysfs (for a remove event it may no longer exist)
     */
    public RuleOutcome run(RuleSet rules, Uevent event, Device device) {
        EventState st = new EventState(event, device, root);
        List<RunEntry> runs = new ArrayList<>();
        List<RuleSource> trace = new ArrayList<>();
        boolean runFinal = false;
        List<Rule> list = rules.rules();
        for (int i = 0; i < list.size(); i++) {
            Rule rule = list.get(i);
            if (!rule.applies() || !matches(rule, st)) {
                continue;
            }
            trace.add(rule.source());
            boolean replace = false;
            boolean last = false;
            for (Action a : rule.actions()) {
                switch (a.type()) {
                    case LAST_RULE -> last = true;
                    case ESCAPE_NONE -> replace = false;
                    case ESCAPE_REPLACE -> replace = true;
                    case ENV -> assignEnv(rule, a, st, replace);
                    case RUN_BUILTIN, RUN_PROGRAM -> {
                        if (runFinal) {
                            break;
                        }
                        if (a.op() == Operator.ASSIGN_FINAL) {
                            runFinal = true;
                        }
                        if (a.op() != Operator.ADD) {
                            runs.clear();
                        }
                        String cmd = Substitutions.expand(a.value(), st);
                        if (cmd == null) {
                            log.warn("Failed to apply {} at {}: command too long, ignoring", a, rule.source());
                            break;
                        }
                        RunEntry.Kind kind = a.type() == Action.Type.RUN_BUILTIN ? RunEntry.Kind.BUILTIN : RunEntry.Kind.PROGRAM;
                        Optional<KmodBuiltin> kmod = kind == RunEntry.Kind.BUILTIN
                                ? KmodBuiltin.parse(cmd, CommandLine.split(a.value()).size() > 2) : Optional.empty();
                        runs.add(new RunEntry(kind, cmd, rule.source(), kmod));
                    }
                }
            }
            if (last) {
                break;
            }
            if (rule.gotoTarget() >= 0) {
                i = rule.gotoTarget() - 1;
            }
        }
        return new RuleOutcome(runs, st.env, trace);
    }

    private static void assignEnv(Rule rule, Action a, EventState st, boolean replace) {
        String name = a.name();
        if (a.value().isEmpty()) {
            if (a.op() != Operator.ADD) {
                st.env.remove(name);
            }
            return;
        }
        String v = Substitutions.expand(a.value(), st);
        if (v == null) {
            log.warn("Failed to apply {} at {}: value too long, ignoring", a, rule.source());
            return;
        }
        if (replace) {
            v = Substitutions.replaceChars(v, null);
        }
        String old = st.env.get(name);
        st.env.put(name, a.op() == Operator.ADD && old != null ? old + " " + v : v);
    }

    private boolean matches(Rule rule, EventState st) {
        List<Match> ms = rule.matches();
        boolean parentsDone = false;
        for (int k = 0; k < ms.size(); k++) {
            Match m = ms.get(k);
            if (m.key().isForParents()) {
                if (!parentsDone && !matchParents(ms, k, st)) {
                    return false;
                }
                parentsDone = true;
            } else if (!matchOne(m, st.device, st)) {
                return false;
            }
        }
        return true;
    }

    /** The parent conditions starting at {@code from}, tried on the device and then each ancestor. */
    private boolean matchParents(List<Match> ms, int from, EventState st) {
        Device candidate = st.device;
        while (true) {
            boolean all = true;
            for (int k = from; k < ms.size() && ms.get(k).key().isForParents(); k++) {
                if (!matchOne(ms.get(k), candidate, st)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                st.parent = candidate;
                return true;
            }
            Optional<Device> up = candidate.parent();
            if (up.isEmpty()) {
                st.parent = null;
                return false;
            }
            candidate = up.get();
        }
    }

    private boolean matchOne(Match m, Device dev, EventState st) {
        return switch (m.key()) {
            case ACTION -> string(m, st.event.action());
            case DEVPATH -> string(m, st.event.devpath());
            case KERNEL, KERNELS -> string(m, dev.sysname());
            case ENV -> string(m, st.env.get(m.attr()));
            case SUBSYSTEM, SUBSYSTEMS -> string(m, dev.subsystem().orElse(null));
            case DRIVER, DRIVERS -> string(m, dev.driver().orElse(null));
            case ATTR, ATTRS -> attribute(m, dev, st);
            case TEST -> test(m, dev, st);
            case PROGRAM -> program(m, st);
            case RESULT -> string(m, st.result);
        };
    }

    private static boolean string(Match m, String value) {
        return m.pattern().matches(value) == (m.op() == Operator.MATCH);
    }

    private boolean attribute(Match m, Device dev, EventState st) {
        String name = m.attr();
        Optional<String> value;
        if (name.startsWith("[")) {
            value = SubsystemRef.attribute(root, name);
        } else {
            if (Substitutions.hasFormat(name)) {
                name = Substitutions.expand(name, st);
                if (name == null) {
                    return false;
                }
            }
            value = dev.attribute(name);
        }
        if (value.isEmpty()) {
            return false;
        }
        String v = m.pattern().endsInWhitespace() ? value.get() : Substitutions.stripTrailingWhitespace(value.get());
        return string(m, v);
    }

    private boolean test(Match m, Device dev, EventState st) {
        String p = Substitutions.expand(m.pattern().text(), st);
        if (p == null || p.isEmpty()) {
            return false;
        }
        Optional<Path> path;
        if (p.startsWith("/")) {
            path = Optional.of(root.resolve(p));
        } else if (p.startsWith("[")) {
            path = SubsystemRef.path(root, p);
        } else {
            path = dev.syspath().map(d -> d.resolve(p));
        }
        Optional<Path> found = path.flatMap(RulesEngine::resolveStarDir);
        boolean exists = found.isPresent() && Files.exists(found.get());
        if (!exists) {
            return m.op() == Operator.NOMATCH;
        }
        if (m.mode() < 0) {
            return m.op() == Operator.MATCH;
        }
        int mode;
        try {
            mode = (Integer) Files.getAttribute(found.get(), "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return m.op() == Operator.NOMATCH;
        }
        return ((mode & m.mode()) != 0) == (m.op() == Operator.MATCH);
    }

    /** udev's {@code dir/*}{@code /rest}: the first entry of {@code dir} (not hidden) under which {@code rest} exists. */
    private static Optional<Path> resolveStarDir(Path path) {
        String s = path.toString();
        int star = s.indexOf("/*/");
        if (star < 0) {
            return Optional.of(path);
        }
        Path dir = Path.of(s.substring(0, star + 1));
        String tail = s.substring(star + 3);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path e : ds) {
                if (!e.getFileName().toString().startsWith(".") && Files.exists(e.resolve(tail))) {
                    return Optional.of(e.resolve(tail));
                }
            }
        } catch (IOException e) {
            // no such directory: nothing found
        }
        return Optional.empty();
    }

    private boolean program(Match m, EventState st) {
        st.result = null;
        String cmd = Substitutions.expand(m.pattern().text(), st);
        if (cmd == null) {
            return false;
        }
        Optional<String> out = programs.run(CommandLine.split(cmd), st.env);
        if (out.isEmpty()) {
            return m.op() == Operator.NOMATCH;
        }
        String r = out.get();
        int end = r.length();
        while (end > 0 && r.charAt(end - 1) == '\n') {
            end--;
        }
        st.result = Substitutions.replaceChars(r.substring(0, end), Substitutions.ALLOWED_INPUT);
        return m.op() == Operator.MATCH;
    }
}
