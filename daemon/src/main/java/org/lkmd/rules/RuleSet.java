package org.lkmd.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of all rules files, in the order they run (files sorted by name, lines in file
 * order), GOTO targets resolved to indexes. Immutable, so a reload swaps a whole set.
 */
public final class RuleSet {
    private static final RuleSet EMPTY = new RuleSet(List.of(), List.of(), Map.of());

    private final List<Rule> rules;
    private final List<String> files;
    private final Map<String, Integer> ignoredKeys;

    RuleSet(List<Rule> rules, List<String> files, Map<String, Integer> ignoredKeys) {
        this.rules = List.copyOf(rules);
        this.files = List.copyOf(files);
        this.ignoredKeys = Collections.unmodifiableMap(new LinkedHashMap<>(ignoredKeys));
    }

    /** A set without rules: every event passes through unchanged and nothing runs. */
    public static RuleSet empty() {
        return EMPTY;
    }

    /** The rules in running order. */
    public List<Rule> rules() {
        return rules;
    }

    /** The files the rules came from, in order (including files that gave no rule). */
    public List<String> files() {
        return files;
    }

    /**
     * Keys udev knows that lkmd parsed and ignores (NAME, SYMLINK, IMPORT, ...), with how many
     * times each was written; each was reported once, as a warning, when the set was parsed.
     */
    public Map<String, Integer> ignoredKeys() {
        return ignoredKeys;
    }

    public int size() {
        return rules.size();
    }

    @Override
    public String toString() {
        return "RuleSet[" + rules.size() + " rules from " + files.size() + " files]";
    }
}
