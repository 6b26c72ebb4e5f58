package org.lkmd.loader;

import org.lkmd.base.LogFields;
import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.kernel.ModuleState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs {@link LoadPlan}s against a {@link Kernel}, with modprobe's semantics: steps in plan order;
 * an Insert goes through {@link FileInserter}; an Install runs {@code /bin/sh -c CMD} with
 * {@code MODPROBE_MODULE} set, under a time limit; EEXIST is success (except for the target with
 * {@code firstTime}); a failed non-required (softdep) step is logged and skipped; a failed required
 * step ends the plan. A {@link LoadStep.Denied} step that would load something refuses the whole
 * plan with EPERM before any step is taken when it is required, and is skipped when it is a softdep.
 *
 * <p>Threading: any number of threads may call {@link #load} at once, and independent stacks load
 * in parallel. Work is single-flight per module name: a caller whose step names a module another
 * caller is already loading waits for that load and shares its result, so no module is inserted
 * (or its install command run) twice at once. A thread leads at most one step at a time and never
 * waits while leading, so waiting cannot form a cycle inside one loader. (An install command that
 * calls back into the same loader for its own module waits for itself until the hook time limit.)
 * A module whose init asks the kernel for another module while its own insert is in flight is
 * served: the nested request leads (or joins) the other module's flight on its own thread.
 *
 * <p>With a {@link FailureCache}, the thread leading an insert asks it first and remembers a lasting
 * failure before it ends the flight, so of any number of requests for a module that fails for
 * good, one reaches {@code finit_module}; the others get the same errno and message.
 */
public final class ModuleLoader {
    private static final Logger log = LoggerFactory.getLogger(ModuleLoader.class);

    /** Default limit for an install command, as udev gives a RUN program. */
    public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(30);

    private final Kernel kernel;
    private final FileInserter inserter;
    private final HookRunner hooks;
    private final FailureCache failures;
    private final Map<String, CompletableFuture<LoadOutcome.Step>> inFlight = new ConcurrentHashMap<>();

    public ModuleLoader(Kernel kernel) {
        this(kernel, DEFAULT_HOOK_TIMEOUT, "/bin/sh");
    }

    /** @param shell the shell install commands run under ({@code /bin/sh} outside tests) */
    public ModuleLoader(Kernel kernel, Duration hookTimeout, String shell) {
        this(kernel, hookTimeout, shell, HookIo.INHERIT);
    }

    /** @param io where install commands write */
    public ModuleLoader(Kernel kernel, Duration hookTimeout, String shell, HookIo io) {
        this(kernel, hookTimeout, shell, io, null);
    }

    /**
     * @param failures where inserts that fail for good are remembered and answered from, for the
     *                 requests that may use it ({@link ProbeRequest#usesFailureCache()}); null for none
     */
    public ModuleLoader(Kernel kernel, Duration hookTimeout, String shell, HookIo io, FailureCache failures) {
        this.failures = failures;
        this.kernel = kernel;
        this.inserter = new FileInserter(kernel);
        this.hooks = new HookRunner(hookTimeout, shell, io);
    }

    /** Runs the plan as a plain {@code modprobe} would, reading module states afresh. */
    public LoadOutcome load(LoadPlan plan) {
        return load(plan, ProbeRequest.fromCli(plan.query() != null ? plan.query() : plan.module(), null),
                new ModuleStates(kernel), s -> { });
    }

    /**
     * Runs the plan with the request's choices: {@code --first-time} (EEXIST on the target is an
     * error), {@code --force-*} insert flags, {@code --show-depends} (every step, even of modules in
     * the kernel) and dry run (steps told, none taken).
     *
     * @param states     the probe's module states: each read once, updated as modules go in
     * @param beforeStep called before each step is taken (modprobe {@code -v} prints it); not for
     *                   steps skipped because their module is already in the kernel
     */
    public LoadOutcome load(LoadPlan plan, ProbeRequest request, ModuleStates states, Consumer<LoadStep> beforeStep) {
        Optional<LoadStep.Denied> refused = refusedFirst(plan, request, states);
        if (refused.isPresent()) {
            // nothing is half-applied: a denied required module stops the plan before any step
            LoadStep.Denied d = refused.get();
            return new LoadOutcome(plan.module(), LoadOutcome.Status.DENIED, Errno.EPERM, d.message(),
                    List.of(denied(d)));
        }
        List<LoadOutcome.Step> done = new ArrayList<>();
        LoadOutcome.Status targetStatus = null;
        for (int i = 0; i < plan.steps().size(); i++) {
            LoadStep step = plan.steps().get(i);
            boolean target = plan.isTarget(i);
            if (step instanceof LoadStep.Denied d) {
                if (blocked(d, request, states)) {
                    // a softdep (required ones were refused above): skipped, the load goes on
                    LoadOutcome.Step r = denied(d);
                    done.add(r);
                    log.atWarn().addKeyValue(LogFields.MODULE, step.module()).log(
                            "Failed to load softdep {} of {}: {}, ignoring", step.module(), plan.module(), r.message());
                    continue;
                }
                step = d.step();
            }
            LoadOutcome.Step r;
            ModuleState st = request.ignoreLoaded() ? ModuleState.ABSENT
                    : step instanceof LoadStep.Builtin ? ModuleState.BUILTIN : states.of(step.module());
            if (st == ModuleState.LIVE || st == ModuleState.BUILTIN) {
                // kmod skips a module already in the kernel without a word; EEXIST for the target
                // is an error only with --first-time
                if (target && request.isFirstTime()) {
                    r = failure(step, Errno.EEXIST, -1, insertMessage(step.module(), Errno.EEXIST));
                } else {
                    r = ok(step, st == ModuleState.LIVE ? LoadOutcome.Status.ALREADY_LOADED : LoadOutcome.Status.BUILTIN);
                }
            } else if (request.isDryRun()) {
                beforeStep.accept(step);
                r = ok(step, LoadOutcome.Status.DRY_RUN);
            } else {
                r = singleFlight(step, request.insertFlags(), beforeStep, target && request.isFirstTime(),
                        failures != null && request.usesFailureCache());
                if (r.status() == LoadOutcome.Status.LOADED || r.status() == LoadOutcome.Status.ALREADY_LOADED) {
                    states.live(step.module());
                } else if (step instanceof LoadStep.Install) {
                    states.forgetAll();
                }
            }
            done.add(r);
            if (r.failed()) {
                if (step.required()) {
                    return new LoadOutcome(plan.module(), LoadOutcome.Status.FAILED, r.errno(), r.message(), done);
                }
                log.atWarn().addKeyValue(LogFields.MODULE, step.module()).log(
                        "Failed to load softdep {} of {}: {}, ignoring", step.module(), plan.module(), r.message());
            }
            if (target) {
                targetStatus = r.status();
            }
        }
        // an empty plan (or one without the target) means the resolver found it live already
        return new LoadOutcome(plan.module(), targetStatus != null ? targetStatus : LoadOutcome.Status.ALREADY_LOADED,
                null, null, done);
    }

    /**
     * The required step a {@code deny} line refuses, if any: the target's own when it is refused,
     * else the first in plan order.
     */
    private static Optional<LoadStep.Denied> refusedFirst(LoadPlan plan, ProbeRequest request, ModuleStates states) {
        LoadStep.Denied first = null;
        for (int i = 0; i < plan.steps().size(); i++) {
            if (plan.steps().get(i) instanceof LoadStep.Denied d && d.required() && blocked(d, request, states)) {
                if (plan.isTarget(i)) {
                    return Optional.of(d);
                }
                if (first == null) {
                    first = d;
                }
            }
        }
        return Optional.ofNullable(first);
    }

    /**
     * True when the denied step would load something: neither its module nor the denied module is
     * in the kernel already (a deny never unloads, and a module loaded before the line was written
     * may be used). Every step counts with {@code --show-depends}.
     */
    private static boolean blocked(LoadStep.Denied d, ProbeRequest request, ModuleStates states) {
        return request.ignoreLoaded() || !(states.inKernel(d.module()) || states.inKernel(d.denied()));
    }

    private static LoadOutcome.Step denied(LoadStep.Denied d) {
        return new LoadOutcome.Step(d.module(), LoadOutcome.Status.DENIED, d.required(), Errno.EPERM, -1,
                d.message());
    }

    private LoadOutcome.Step singleFlight(LoadStep step, int insertFlags, Consumer<LoadStep> beforeStep,
                                          boolean firstTime, boolean useCache) {
        CompletableFuture<LoadOutcome.Step> mine = new CompletableFuture<>();
        CompletableFuture<LoadOutcome.Step> running = inFlight.putIfAbsent(step.module(), mine);
        if (running != null) {
            LoadOutcome.Step shared = join(running);
            if (firstTime && !shared.failed()) {
                // someone else put it in first: for --first-time that is "already in kernel"
                return failure(step, Errno.EEXIST, -1, insertMessage(step.module(), Errno.EEXIST));
            }
            return new LoadOutcome.Step(step.module(), shared.status(), step.required(), shared.errno(),
                    shared.exitStatus(), shared.message(), shared.fromCache());
        }
        LoadOutcome.Step r;
        try {
            // leading: the cache is asked and filled while this module's flight is ours, so a
            // request arriving after the flight ends finds the failure remembered
            r = useCache && step instanceof LoadStep.Insert i ? cachedOrRun(i, insertFlags, beforeStep, firstTime)
                    : runTold(step, insertFlags, beforeStep, firstTime);
        } catch (RuntimeException e) {
            r = failure(step, Errno.EIO, -1, "could not insert '" + step.module() + "': " + e.getMessage());
            mine.complete(r);
            inFlight.remove(step.module(), mine);
            throw e;
        }
        mine.complete(r);
        inFlight.remove(step.module(), mine);
        return r;
    }

    private LoadOutcome.Step runTold(LoadStep step, int insertFlags, Consumer<LoadStep> beforeStep, boolean firstTime) {
        beforeStep.accept(step);
        return run(step, insertFlags, firstTime);
    }

    private LoadOutcome.Step cachedOrRun(LoadStep.Insert step, int insertFlags, Consumer<LoadStep> beforeStep,
                                         boolean firstTime) {
        FailureCache.Key key = new FailureCache.Key(step.module(), step.path(), step.options());
        var known = failures.answer(key);
        if (known.isPresent()) {
            FailureCache.Entry e = known.get();
            return new LoadOutcome.Step(step.module(), LoadOutcome.Status.FAILED, step.required(), e.errno(), -1,
                    e.message(), true);
        }
        FailureCache.FileId file = FailureCache.identify(step.path());
        LoadOutcome.Step r = runTold(step, insertFlags, beforeStep, firstTime);
        if (r.failed() && failures.remember(key, file, r.errno(), r.message())) {
            log.debug("Remembering {} failed with {} until its file changes or a reload", step.module(), r.errno());
        }
        return r;
    }

    private static LoadOutcome.Step join(CompletableFuture<LoadOutcome.Step> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private LoadOutcome.Step run(LoadStep step, int insertFlags, boolean firstTime) {
        if (step instanceof LoadStep.Insert i) {
            return insert(i, insertFlags, firstTime);
        }
        if (step instanceof LoadStep.Install i) {
            return install(i);
        }
        if (step instanceof LoadStep.Missing) {
            // named by the configuration, but no file in the index: libkmod's ENOSYS
            return failure(step, Errno.ENOSYS, -1, insertMessage(step.module(), Errno.ENOSYS));
        }
        return ok(step, LoadOutcome.Status.BUILTIN);
    }

    private LoadOutcome.Step insert(LoadStep.Insert step, int insertFlags, boolean firstTime) {
        try {
            // a concurrent load in another process since the state was read ends in EEXIST: success
            inserter.insert(step.path(), step.options(), insertFlags);
            return ok(step, LoadOutcome.Status.LOADED);
        } catch (KernelException e) {
            if (e.errno() == Errno.EEXIST && !firstTime) {
                return ok(step, LoadOutcome.Status.ALREADY_LOADED);
            }
            log.debug("Failed to insert {}: {}", step.module(), e.getMessage());
            return failure(step, e.errno(), -1, insertMessage(step.module(), e.errno()));
        }
    }

    /** modprobe's wording for a failed insert, without the {@code modprobe: ERROR: } prefix. */
    public static String insertMessage(String module, Errno errno) {
        String why = switch (errno.name()) {
            case "ENOENT" -> "Unknown symbol in module, or unknown parameter (see dmesg)";
            case "EEXIST" -> "Module already in kernel";
            default -> errno.text();
        };
        return "could not insert '" + module + "': " + why;
    }

    private LoadOutcome.Step install(LoadStep.Install step) {
        HookRunner.Result r = hooks.run("install", step.module(), step.shellCommand());
        if (!r.ok()) {
            return failure(step, r.errno(), r.exitStatus(), r.message());
        }
        return new LoadOutcome.Step(step.module(), LoadOutcome.Status.INSTALL_RAN, step.required(), null, 0, null);
    }

    private static LoadOutcome.Step ok(LoadStep step, LoadOutcome.Status status) {
        return new LoadOutcome.Step(step.module(), status, step.required(), null, -1, null);
    }

    private static LoadOutcome.Step failure(LoadStep step, Errno errno, int rc, String message) {
        return new LoadOutcome.Step(step.module(), LoadOutcome.Status.FAILED, step.required(), errno, rc, message);
    }
}
