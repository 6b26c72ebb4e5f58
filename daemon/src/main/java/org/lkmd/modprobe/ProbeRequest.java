package org.lkmd.modprobe;

import java.util.Objects;

/**
 * One request to load what a name or alias stands for, the same for the three ways a probe
 * starts: a uevent's {@code kmod load} ({@link #forUevent}), the kernel's module helper
 * ({@link #forKernelRequest}) and {@code modprobe} ({@link #fromCli}). The factories set the
 * choices each caller makes; the {@code with}-style methods add modprobe's options. Immutable.
 *
 * <p>Blacklist: modprobe applies it to modules reached through an alias only, unless {@code -b};
 * udev's kmod builtin always applies it ({@code useBlacklist}).
 */
public final class ProbeRequest {
    private final String query;
    private final String extraOptions;
    private final ProbeOrigin origin;
    private final boolean ignoreLoaded;
    private final boolean dryRun;
    private final boolean firstTime;
    private final boolean useBlacklist;
    private final boolean ignoreCommands;
    private final int insertFlags;

    private ProbeRequest(String query, String extraOptions, ProbeOrigin origin, boolean ignoreLoaded, boolean dryRun,
                         boolean firstTime, boolean useBlacklist, boolean ignoreCommands, int insertFlags) {
        this.query = Objects.requireNonNull(query);
        this.extraOptions = extraOptions;
        this.origin = Objects.requireNonNull(origin);
        this.ignoreLoaded = ignoreLoaded;
        this.dryRun = dryRun;
        this.firstTime = firstTime;
        this.useBlacklist = useBlacklist;
        this.ignoreCommands = ignoreCommands;
        this.insertFlags = insertFlags;
    }

    /** What udev's kmod builtin asks for a rule's {@code kmod load}: the blacklist applies to every module. */
    public static ProbeRequest forUevent(String query, ProbeOrigin.Uevent origin) {
        return new ProbeRequest(query, null, origin, false, false, false, true, false, 0);
    }

    /** The kernel's {@code modprobe -q -- NAME}: modprobe's defaults (blacklist for aliases only). */
    public static ProbeRequest forKernelRequest(String name) {
        return new ProbeRequest(name, null, new ProbeOrigin.KernelRequest(name), false, false, false, false, false, 0);
    }

    /**
     * {@code modprobe NAME [OPTIONS]} with modprobe's defaults; add its flags with the methods below.
     *
     * @param extraOptions module parameters from the command line, for the target only; null for none
     */
    public static ProbeRequest fromCli(String query, String extraOptions) {
        return new ProbeRequest(query, extraOptions, new ProbeOrigin.CommandLine(), false, false, false, false,
                false, 0);
    }

    /** {@code -n}: plan and tell each step, load nothing (the daemon's {@code --simulate} too). */
    public ProbeRequest dryRun() {
        return new ProbeRequest(query, extraOptions, origin, ignoreLoaded, true, firstTime, useBlacklist,
                ignoreCommands, insertFlags);
    }

    /** {@code --show-depends}: every step, even of modules in the kernel already, told and not taken. */
    public ProbeRequest showDepends() {
        return new ProbeRequest(query, extraOptions, origin, true, true, firstTime, useBlacklist, ignoreCommands,
                insertFlags);
    }

    /** {@code --first-time}: a target already in the kernel is an error. */
    public ProbeRequest firstTime() {
        return new ProbeRequest(query, extraOptions, origin, ignoreLoaded, dryRun, true, useBlacklist, ignoreCommands,
                insertFlags);
    }

    /** {@code -b}: the blacklist applies to names too. */
    public ProbeRequest useBlacklist() {
        return new ProbeRequest(query, extraOptions, origin, ignoreLoaded, dryRun, firstTime, true, ignoreCommands,
                insertFlags);
    }

    /** {@code -i}: the target's install command and softdeps are ignored. */
    public ProbeRequest ignoreCommands() {
        return new ProbeRequest(query, extraOptions, origin, ignoreLoaded, dryRun, firstTime, useBlacklist, true,
                insertFlags);
    }

    /** {@code --force-*}: extra {@code MODULE_INIT_IGNORE_*} flags for every insert. */
    public ProbeRequest insertFlags(int flags) {
        return new ProbeRequest(query, extraOptions, origin, ignoreLoaded, dryRun, firstTime, useBlacklist,
                ignoreCommands, flags);
    }

    /** The name or alias to look up, as given. */
    public String query() {
        return query;
    }

    /** Parameters for the target only (modprobe's arguments after the name); null for none. */
    public String extraOptions() {
        return extraOptions;
    }

    public ProbeOrigin origin() {
        return origin;
    }

    /** Take every step even if its module is live or builtin ({@code --show-depends}). */
    public boolean ignoreLoaded() {
        return ignoreLoaded;
    }

    /** Tell each step, take none. */
    public boolean isDryRun() {
        return dryRun;
    }

    /** A target already in the kernel is an error (EEXIST). */
    public boolean isFirstTime() {
        return firstTime;
    }

    /** The blacklist applies to modules reached by name too, not only through an alias. */
    public boolean blacklistsNames() {
        return useBlacklist;
    }

    /** The target's install command and softdeps are ignored. */
    public boolean ignoresCommands() {
        return ignoreCommands;
    }

    /** {@code MODULE_INIT_IGNORE_*} flags for every insert. */
    /**
     * True when a remembered failure may answer this request instead of a new attempt: uevents and
     * the kernel's requests, made without force flags. A person's {@code modprobe} (in its own
     * process, or forwarded by the helper) always tries again, as kmod's does.
     */
    public boolean usesFailureCache() {
        return !(origin() instanceof ProbeOrigin.CommandLine) && !isDryRun() && insertFlags() == 0;
    }

    public int insertFlags() {
        return insertFlags;
    }

    @Override
    public String toString() {
        return query + " (" + origin.describe() + ")";
    }
}
