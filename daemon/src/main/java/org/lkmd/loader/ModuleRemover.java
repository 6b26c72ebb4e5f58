package org.lkmd.loader;

import org.lkmd.base.ModuleNames;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.kernel.ModuleState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code modprobe -r} for one module, with kmod's order and rules (tools/modprobe.c):
 * <ol>
 *   <li>with no remove command: a module not loaded is done (an error with {@code --first-time});
 *       a builtin one is an error for the named module and ignored for dependencies;</li>
 *   <li>post-softdeps are removed, last first (failures ignored);</li>
 *   <li>with {@code --remove-holders}, every holder is removed first, recursively (a failure is fatal);</li>
 *   <li>a module still in use is "in use" (EBUSY), unless {@code --wait} gives it time, even with
 *       {@code -f};</li>
 *   <li>{@code delete_module(name, O_NONBLOCK[|O_TRUNC with -f])}, retrying EAGAIN with exponential
 *       backoff until the {@code --wait} limit; or the remove command;</li>
 *   <li>each hard dependency whose use count is now 0 is removed, in one pass from the end of its
 *       {@code modules.dep} line (failures ignored, "in use" quiet); one freed only by a dependency
 *       removed later in that pass stays;</li>
 *   <li>pre-softdeps are removed, last first (failures ignored).</li>
 * </ol>
 * What a module depends on and its modprobe.d entries come from the caller's {@link Lookup}
 * (the resolver's index and config); everything about the running kernel from {@link Kernel}, read
 * at the moment each decision is made. Run it on a {@code SimulatedKernel} for a dry run.
 */
public final class ModuleRemover {
    /** What the index and modprobe.d say about one module; {@link #NONE} for an unknown one. */
    public record Info(List<String> dependencies, List<String> preSoftdeps, List<String> postSoftdeps,
                       String removeCommand) {
        public static final Info NONE = new Info(List.of(), List.of(), List.of(), null);

        public Info {
            dependencies = List.copyOf(dependencies);
            preSoftdeps = List.copyOf(preSoftdeps);
            postSoftdeps = List.copyOf(postSoftdeps);
        }
    }

    /** Module name (normalized) to its {@link Info}; dependencies as {@code modules.dep} lists them. */
    public interface Lookup extends Function<String, Info> {
    }

    /**
     * @param removeDependencies remove hard dependencies left unused (modprobe -r does; kmod's
     *                           {@code --remove-dependencies} spelling is the default here)
     * @param removeHolders      {@code --remove-holders}
     * @param force              {@code -f}: O_TRUNC; a module in use is still refused before the call, as kmod 30's
     *                           modprobe does
     * @param firstTime          {@code --first-time}: not loaded is an error
     * @param ignoreCommands     {@code -i}: no remove commands, no softdeps
     * @param waitFor            {@code --wait MSEC}: how long to retry a busy module; null = no waiting
     * @param onRemove           told what is about to happen, as modprobe {@code -v} prints it:
     *                           {@code rmmod NAME} or {@code remove COMMAND}
     * @param dryRun             {@code -n}: decide and tell, but neither delete nor run commands
     */
    public record Options(boolean removeDependencies, boolean removeHolders, boolean force, boolean firstTime,
                          boolean ignoreCommands, Duration waitFor, Consumer<String> onRemove, boolean dryRun) {
        public static final Options DEFAULT = new Options(true, false, false, false, false, null, m -> { }, false);

        public Options(boolean removeDependencies, boolean removeHolders, boolean force, boolean firstTime,
                       boolean ignoreCommands, Duration waitFor, Consumer<String> onRemove) {
            this(removeDependencies, removeHolders, force, firstTime, ignoreCommands, waitFor, onRemove, false);
        }
    }

    /**
     * @param module   the module asked for
     * @param errno    null on success
     * @param message  kmod's wording of the fatal error (without the {@code modprobe: } prefix); null on success
     * @param removed  modules actually removed, in order
     * @param warnings non-fatal failures (softdeps, dependencies), kmod's wording
     */
    public record Outcome(String module, Errno errno, String message, List<String> removed, List<String> warnings) {
        public boolean ok() {
            return errno == null;
        }
    }

    static final long FIRST_BACKOFF_MS = 10;
    static final long MAX_BACKOFF_MS = 1000;

    private final Kernel kernel;
    private final Lookup lookup;
    private final HookRunner hooks;

    public ModuleRemover(Kernel kernel, Lookup lookup) {
        this(kernel, lookup, ModuleLoader.DEFAULT_HOOK_TIMEOUT, "/bin/sh");
    }

    public ModuleRemover(Kernel kernel, Lookup lookup, Duration hookTimeout, String shell) {
        this(kernel, lookup, hookTimeout, shell, HookIo.INHERIT);
    }

    public ModuleRemover(Kernel kernel, Lookup lookup, Duration hookTimeout, String shell, HookIo io) {
        this.kernel = kernel;
        this.lookup = lookup;
        this.hooks = new HookRunner(hookTimeout, shell, io);
    }

    public Outcome remove(String module, Options options) {
        Run run = new Run(options);
        Failure f = run.remove(ModuleNames.normalizeName(module), true, options.removeDependencies());
        return new Outcome(module, f == null ? null : f.errno, f == null ? null : f.message,
                List.copyOf(run.removed), List.copyOf(run.warnings));
    }

    private record Failure(Errno errno, String message) {
    }

    /** State of one {@link #remove} call. */
    private final class Run {
        final Options o;
        final List<String> removed = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        Run(Options o) {
            this.o = o;
        }

        /** @param named true for the module asked for (and holders), false for deps and softdeps */
        Failure remove(String name, boolean named, boolean withDeps) {
            Info info = o.ignoreCommands() ? Info.NONE : lookup.apply(name);
            if (info == null) {
                info = Info.NONE;
            }
            String cmd = info.removeCommand();
            if (cmd == null) {
                ModuleState st = kernel.state(name);
                if (st == ModuleState.ABSENT || st == ModuleState.GOING) {
                    return named && o.firstTime() ? new Failure(Errno.ENOENT, "Module " + name + " is not in kernel.") : null;
                }
                if (st == ModuleState.BUILTIN) {
                    return named ? new Failure(Errno.ENOENT, "Module " + name + " is builtin.") : null;
                }
            }
            softdeps(info.postSoftdeps());
            if (cmd == null && o.removeHolders()) {
                for (String h : kernel.holders(name)) {
                    Failure f = remove(h, true, false); // the holder's deps include this module: swept after it goes
                    if (f != null) {
                        return f;
                    }
                }
            }
            Failure f = cmd != null ? command(name, cmd) : delete(name, named);
            if (f != null) {
                return f;
            }
            if (withDeps) {
                // one pass, last in modules.dep first (kmod walks the list backwards), each dependency
                // checked when its turn comes: a dependency used only by one met later in the file
                // (snd_intel_sdw_acpi under snd_intel_dspcfg) stays loaded, as with kmod
                List<String> deps = info.dependencies();
                for (int i = deps.size() - 1; i >= 0; i--) {
                    String dn = ModuleNames.normalizeName(deps.get(i));
                    if (kernel.state(dn) == ModuleState.LIVE && kernel.refcount(dn) == 0) {
                        Failure df = remove(dn, false, false);
                        if (df != null) {
                            warnings.add(df.message());
                        }
                    }
                }
            }
            softdeps(info.preSoftdeps());
            return null;
        }

        void softdeps(List<String> mods) {
            for (int i = mods.size() - 1; i >= 0; i--) {
                Failure f = remove(ModuleNames.normalizeName(mods.get(i)), false, false);
                if (f != null) {
                    warnings.add(f.message());
                }
            }
        }

        Failure command(String name, String cmd) {
            cmd = cmd.replace("$CMDLINE_OPTS", "");
            o.onRemove().accept("remove " + cmd);
            if (o.dryRun()) {
                return null;
            }
            HookRunner.Result r = hooks.run("remove", name, cmd);
            return r.ok() ? null : new Failure(r.errno(), r.message());
        }

        Failure delete(String name, boolean named) {
            long deadline = o.waitFor() == null ? 0 : System.nanoTime() + o.waitFor().toNanos();
            long backoff = FIRST_BACKOFF_MS;
            while (kernel.refcount(name) > 0 || !kernel.holders(name).isEmpty()) {
                if (o.waitFor() == null || System.nanoTime() >= deadline) {
                    // kmod reports "in use" only for the module asked for; unused-dependency sweeps are quiet
                    return new Failure(Errno.EBUSY, named ? "Module " + name + " is in use." : null);
                }
                backoff = sleep(backoff, deadline);
            }
            int flags = Kernel.O_NONBLOCK | (o.force() ? Kernel.O_TRUNC : 0);
            o.onRemove().accept("rmmod " + name);
            if (o.dryRun()) {
                return null;
            }
            while (true) {
                try {
                    kernel.deleteModule(name, flags);
                    removed.add(name);
                    return null;
                } catch (KernelException e) {
                    boolean busy = e.errno() == Errno.EAGAIN || e.errno() == Errno.EBUSY;
                    if (!busy || o.waitFor() == null || System.nanoTime() >= deadline) {
                        return new Failure(e.errno(), "could not remove '" + name + "': " + e.errno().text());
                    }
                }
                backoff = sleep(backoff, deadline);
            }
        }
    }

    private static long sleep(long ms, long deadlineNanos) {
        long left = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
        try {
            Thread.sleep(Math.min(ms, left));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Math.min(ms * 2, MAX_BACKOFF_MS);
    }
}
