package org.lkmd.loader;

import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.ModuleState;

import java.util.function.Consumer;

/**
 * libkmod's {@code kmod_module_probe_insert_module} for one looked-up module, shared by
 * {@code modprobe} and the daemon's {@code kmod load}: a module already in the kernel is done (an
 * error with {@code firstTime}); a blacklisted one is skipped (reached through an alias, or by any
 * route with {@code useBlacklist}, as udev asks); otherwise its plan is made and run by the
 * {@link ModuleLoader}.
 */
public final class Prober {
    private final Kernel kernel;
    private final ModuleLoader loader;

    public Prober(Kernel kernel, ModuleLoader loader) {
        this.kernel = kernel;
        this.loader = loader;
    }

    /**
     * modprobe's and udev's choices.
     *
     * @param ignoreLoaded   take every step even if live ({@code --show-depends})
     * @param dryRun         plan and tell, load nothing
     * @param firstTime      already loaded is an error
     * @param useBlacklist   the blacklist applies to names too (udev always, modprobe with -b)
     * @param ignoreCommands the target's install command and softdeps are ignored (-i)
     * @param insertFlags    {@code MODULE_INIT_IGNORE_*}
     * @param show           told each step about to be taken
     */
    public record Flags(boolean ignoreLoaded, boolean dryRun, boolean firstTime, boolean useBlacklist,
                        boolean ignoreCommands, int insertFlags, Consumer<LoadStep> show) {
        /** What udev's kmod builtin asks for: apply the blacklist, load for real. */
        public static Flags udev() {
            return new Flags(false, false, false, true, false, 0, s -> { });
        }
    }

    /** Why a probe ended as it did. */
    public enum Kind {
        LOADED, ALREADY_LOADED, BUILTIN, BLACKLISTED, DRY_RUN, FAILED
    }

    /**
     * @param plan    the plan that ran; null when none was needed
     * @param outcome the loader's account; null when no plan ran
     * @param errno   the error; null unless FAILED
     * @param message kmod's wording of the error (without a program prefix); null unless FAILED
     */
    public record Result(ModuleRef module, Kind kind, LoadPlan plan, LoadOutcome outcome, Errno errno, String message) {
        public boolean failed() {
            return kind == Kind.FAILED;
        }
    }

    public Result probe(ResolveContext ctx, ModuleRef mod, String query, String extraOptions, Flags f) {
        if (!f.ignoreLoaded()) {
            ModuleState st = mod.builtin() ? ModuleState.BUILTIN : kernel.state(mod.name());
            if (st == ModuleState.LIVE || st == ModuleState.BUILTIN) {
                if (f.firstTime()) {
                    return new Result(mod, Kind.FAILED, null, null, Errno.EEXIST,
                            ModuleLoader.insertMessage(mod.name(), Errno.EEXIST));
                }
                return new Result(mod, st == ModuleState.LIVE ? Kind.ALREADY_LOADED : Kind.BUILTIN, null, null, null, null);
            }
        }
        if (ctx.blacklisted(mod, f.useBlacklist())) {
            return new Result(mod, Kind.BLACKLISTED, null, null, null, null);
        }
        LoadPlan plan = ctx.plan(mod, query, extraOptions, f.ignoreCommands(),
                n -> kernel.state(n) == ModuleState.BUILTIN);
        LoadOutcome o = loader.load(plan, new ModuleLoader.Options(f.firstTime(), f.insertFlags(), f.show(),
                f.ignoreLoaded(), f.dryRun()));
        if (o.failed()) {
            return new Result(mod, Kind.FAILED, plan, o, o.errno(), o.message());
        }
        Kind k = switch (o.status()) {
            case DRY_RUN -> Kind.DRY_RUN;
            case ALREADY_LOADED -> Kind.ALREADY_LOADED;
            case BUILTIN -> Kind.BUILTIN;
            default -> Kind.LOADED;
        };
        return new Result(mod, k, plan, o, null, null);
    }

    /** True when the plan's failing step was an install command (kmod then names it before the insert). */
    public static boolean failedInCommand(Result r) {
        return r.failed() && r.plan() != null && r.outcome() != null
                && r.plan().steps().get(r.outcome().steps().size() - 1) instanceof LoadStep.Install;
    }
}
