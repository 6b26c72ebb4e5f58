package org.lkmd.modprobe;

/**
 * A module as a lookup found it: its name, and the alias it was reached through (null when found
 * by name). As in libkmod, each (name, alias) pair is one object within a {@link ResolveContext},
 * so flags set while building a probe list stick to that pair.
 */
public final class ModuleRef {
    private final String name;
    private final String alias;
    boolean builtin;
    /** Set when found through an install line written for exactly this name. */
    String installCommand;
    boolean installKnown;
    String path;
    boolean pathKnown;
    // probe-list state, reset at the start of each probe (libkmod's visited/required flags)
    boolean visited;
    boolean required;
    boolean ignoreCommand;

    ModuleRef(String name, String alias) {
        this.name = name;
        this.alias = alias;
    }

    /** The module name, '_' spelled. */
    public String name() {
        return name;
    }

    /** The alias (or {@code symbol:} key, or config alias pattern) it was reached through; null if by name. */
    public String alias() {
        return alias;
    }

    /** True when the lookup found it in {@code modules.builtin} or the builtin aliases. */
    public boolean builtin() {
        return builtin;
    }

    static String key(String name, String alias) {
        return alias == null ? name : name + "\\" + alias;
    }

    @Override
    public String toString() {
        return alias == null ? name : name + " (alias " + alias + ")";
    }
}
