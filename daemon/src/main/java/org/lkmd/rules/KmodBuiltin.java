package org.lkmd.rules;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code RUN{builtin}="kmod load ..."} entry as the daemon acts on it.
 *
 * @param args     module names or aliases to load, split from the substituted command like udev
 *                 splits builtin arguments; empty when {@link #loadsModalias()}
 * @param loadsModalias true when the rule said just {@code kmod load}: load the event's
 *                 {@code MODALIAS} property itself, never re-split (avoids quoting damage to
 *                 aliases with quotes or spaces); false when the rule named arguments, even if
 *                 they substituted to nothing (then nothing is loaded)
 */
public record KmodBuiltin(List<String> args, boolean loadsModalias) {

    public KmodBuiltin {
        args = List.copyOf(args);
    }

    /**
     * Reads a substituted builtin command. {@code ruleHadArgs} is whether the rule's value (before
     * substitution) had words after {@code kmod load}. Empty when the command is not {@code kmod load}.
     */
    public static Optional<KmodBuiltin> parse(String command, boolean ruleHadArgs) {
        List<String> words = CommandLine.split(command);
        if (words.size() < 2 || !words.get(0).equals("kmod") || !words.get(1).equals("load")) {
            return Optional.empty();
        }
        if (!ruleHadArgs) {
            return Optional.of(new KmodBuiltin(List.of(), true));
        }
        return Optional.of(new KmodBuiltin(words.subList(2, words.size()), false));
    }

    /**
     * The names or aliases this {@code kmod load} loads for an event whose properties (after the
     * rules ran) are {@code env}: its {@code MODALIAS} whole (stripped, never re-split), none when
     * the event has none; else the rule's arguments. The one expansion the daemon, {@code explain}
     * and {@code test} use.
     */
    public List<String> queries(Map<String, String> env) {
        if (!loadsModalias) {
            return args;
        }
        String m = env.get("MODALIAS");
        return m == null || m.isBlank() ? List.of() : List.of(m.strip());
    }
}
