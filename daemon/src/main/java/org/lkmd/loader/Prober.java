package org.lkmd.loader;

import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.ModuleState;
import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.modprobe.ResolveContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The one path every probe takes, whoever asked ({@link ProbeRequest}: a uevent's
 * {@code kmod load}, the kernel's module helper, {@code modprobe}): look the name or alias up
 * (libkmod's chain), then for each module it stands for libkmod's
 * {@code kmod_module_probe_insert_module}: a module already in the kernel is done (an error with
 * {@code --first-time}); a blacklisted one is skipped; otherwise its plan is made and run by the
 * {@link ModuleLoader}, which refuses it ({@link Kind#DENIED}) when lkmd's {@code deny} names the
 * module or a hard dependency that would have to load. Each module's kernel state is read once per probe ({@link ModuleStates}).
 * Thread-safe: any number of probes may run at once over one loader.
 */
public final class Prober {
    private final Kernel kernel;
    private final ModuleLoader loader;

    public Prober(Kernel kernel, ModuleLoader loader) {
        this.kernel = kernel;
        this.loader = loader;
    }

    /** Told as a probe goes: each step before it is taken (modprobe {@code -v}), each module when done. */
    public interface Listener {
        Listener NONE = new Listener() { };

        default void beforeStep(LoadStep step) {
        }

        default void moduleDone(Result result) {
        }
    }

    /** Why a probe of one module ended as it did. */
    public enum Kind {
        LOADED, ALREADY_LOADED, BUILTIN, BLACKLISTED, DRY_RUN, FAILED,
        /** Refused by lkmd's {@code deny} (the module or a hard dependency): EPERM, nothing loaded. */
        DENIED
    }

    /**
     * One module's part of a probe.
     *
     * @param plan    the plan that ran; null when none was needed
     * @param outcome the loader's account; null when no plan ran
     * @param errno   the error; null unless FAILED
     * @param message kmod's wording of the error (without a program prefix); null unless FAILED
     */
    public record Result(ModuleRef module, Kind kind, LoadPlan plan, LoadOutcome outcome, Errno errno, String message) {
        /** True when the module did not load: it failed, or a {@code deny} line refused it. */
        public boolean failed() {
            return kind == Kind.FAILED || kind == Kind.DENIED;
        }

        /** True when the plan's failing step was an install command (kmod then names it before the insert). */
        public boolean failedInCommand() {
            if (!failed() || plan == null || outcome == null) {
                return false;
            }
            LoadStep last = plan.steps().get(outcome.steps().size() - 1);
            return (last instanceof LoadStep.Denied d ? d.step() : last) instanceof LoadStep.Install;
        }

        /** modprobe's ERROR lines for a failure (without the {@code modprobe: ERROR: } prefix); empty otherwise. */
        public List<String> errors() {
            if (!failed()) {
                return List.of();
            }
            if (kind == Kind.DENIED) {
                return List.of(message);
            }
            String insert = ModuleLoader.insertMessage(module.name(), errno);
            // libkmod names the command first, then modprobe reports the insert as failed
            return failedInCommand() ? List.of(message, insert) : List.of(insert);
        }

        /**
         * True when the failure was answered from the daemon's {@link FailureCache} rather than
         * tried again (same errno and message as when it was tried).
         */
        public boolean fromCache() {
            return failed() && outcome != null && !outcome.steps().isEmpty()
                    && outcome.steps().get(outcome.steps().size() - 1).fromCache();
        }

        /** The other modules the load brought in (dependencies, softdeps), in load order. */
        public List<String> loadedWith() {
            if (outcome == null) {
                return List.of();
            }
            List<String> others = new ArrayList<>();
            for (LoadOutcome.Step s : outcome.steps()) {
                boolean took = s.status() == LoadOutcome.Status.LOADED || s.status() == LoadOutcome.Status.DRY_RUN
                        || s.status() == LoadOutcome.Status.INSTALL_RAN;
                if (took && !s.module().equals(module.name())) {
                    others.add(s.module());
                }
            }
            return others;
        }
    }

    /** Looks the request up and probes every module it stands for, in lookup order. */
    public ProbeOutcome probe(ResolveContext ctx, ProbeRequest request, Listener listener) {
        ModuleStates states = new ModuleStates(kernel);
        List<Result> results = new ArrayList<>();
        for (ModuleRef m : ctx.find(request.query())) {
            Result r = probe(ctx, m, request, states, listener);
            results.add(r);
            listener.moduleDone(r);
        }
        return new ProbeOutcome(request, ctx.modulesDir(), results);
    }

    private Result probe(ResolveContext ctx, ModuleRef mod, ProbeRequest req, ModuleStates states, Listener listener) {
        if (!req.ignoreLoaded()) {
            ModuleState st = mod.builtin() ? ModuleState.BUILTIN : states.of(mod.name());
            if (st == ModuleState.LIVE || st == ModuleState.BUILTIN) {
                if (req.isFirstTime()) {
                    return new Result(mod, Kind.FAILED, null, null, Errno.EEXIST,
                            ModuleLoader.insertMessage(mod.name(), Errno.EEXIST));
                }
                return new Result(mod, st == ModuleState.LIVE ? Kind.ALREADY_LOADED : Kind.BUILTIN, null, null, null, null);
            }
        }
        if (ctx.blacklisted(mod, req.blacklistsNames())) {
            return new Result(mod, Kind.BLACKLISTED, null, null, null, null);
        }
        LoadPlan plan = ctx.plan(mod, req.query(), req.extraOptions(), req.ignoresCommands(),
                n -> states.of(n) == ModuleState.BUILTIN);
        LoadOutcome o = loader.load(plan, req, states, listener::beforeStep);
        if (o.failed()) {
            return new Result(mod, o.status() == LoadOutcome.Status.DENIED ? Kind.DENIED : Kind.FAILED, plan, o,
                    o.errno(), o.message());
        }
        Kind k = switch (o.status()) {
            case DRY_RUN -> Kind.DRY_RUN;
            case ALREADY_LOADED -> Kind.ALREADY_LOADED;
            case BUILTIN -> Kind.BUILTIN;
            default -> Kind.LOADED;
        };
        return new Result(mod, k, plan, o, null, null);
    }
}
