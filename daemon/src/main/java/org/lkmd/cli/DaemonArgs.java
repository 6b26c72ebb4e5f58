package org.lkmd.cli;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The {@code lkmd daemon} command line read without picocli. Building picocli's model of every verb
 * (annotations read by reflection) is a large part of the daemon's start-up in an emulated machine,
 * where the daemon starts at boot and every second delays coldplug. Only plain command lines are
 * taken here: {@code [--root DIR] [--kernel-release REL] daemon} followed by the daemon's own
 * options, each at most once, values as the next argument or after {@code =}. Anything else (help,
 * an unknown or repeated option, a missing value, a positional argument) is left to picocli, which
 * then parses the same command line with its usual messages. {@code DaemonArgsTest} checks that
 * both readings agree and that every option picocli declares for the verb is known here.
 */
final class DaemonArgs {
    /** Options of {@link Main} (before the verb name), without help and version. */
    static final Set<String> GLOBAL = Set.of("--root", "--kernel-release");
    /** Options of {@link DaemonCommand}, its {@link GlobalOptions} included. */
    static final Set<String> DAEMON = Set.of("--root", "--kernel-release", "--simulate", "--coldplug", "--config");
    private static final Set<String> FLAGS = Set.of("--simulate");

    private DaemonArgs() {
    }

    /**
     * The daemon verb ready to {@link DaemonCommand#call() call}, wired to {@code main} as picocli
     * would wire it; null when the command line is not a plain daemon command line.
     */
    static DaemonCommand parse(Main main, String[] args) {
        GlobalOptions before = new GlobalOptions();
        GlobalOptions after = new GlobalOptions();
        DaemonCommand d = new DaemonCommand();
        Set<String> seenBefore = new HashSet<>();
        Set<String> seenAfter = new HashSet<>();
        boolean verb = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!verb && a.equals("daemon")) {
                verb = true;
                continue;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (!(verb ? DAEMON : GLOBAL).contains(name) || !(verb ? seenAfter : seenBefore).add(name)) {
                return null;
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    return null;
                }
                d.simulate = true;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
                    return null;
                }
                value = args[++i];
            }
            GlobalOptions g = verb ? after : before;
            switch (name) {
                case "--root" -> g.root = Path.of(value);
                case "--kernel-release" -> g.kernelRelease = value;
                case "--coldplug" -> d.coldplug = value;
                case "--config" -> d.config = value;
                default -> {
                    return null;
                }
            }
        }
        if (!verb) {
            return null;
        }
        main.globals = before;
        d.main = main;
        d.globals = after;
        return d;
    }
}
