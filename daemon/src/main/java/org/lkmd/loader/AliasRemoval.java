package org.lkmd.loader;

import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.modprobe.ModuleRef;
import org.lkmd.modprobe.ResolveContext;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code modprobe -r NAME} for one name (kmod's tools/modprobe.c {@code rmmod()}): every module the
 * name stands for is removed with {@link ModuleRemover}, in lookup order, until one fails; the
 * messages modprobe prints on the way come back with the result, for the caller to print (the
 * tool, to its stderr at its verbosity) or to send (the daemon, to the client that forwarded the
 * call). One resolver context and one kernel for the whole call.
 */
public final class AliasRemoval {
    /** kmod's levels for these messages: its {@code LOG()} (FATAL, or WARNING with {@code -a}), ERROR, INFO. */
    public enum Level {
        LOG,
        ERROR,
        INFO
    }

    /** One line modprobe prints (without its {@code modprobe: LEVEL: } prefix). */
    public record Message(Level level, String text) {
    }

    /**
     * @param errno    null when every module went (or was not there)
     * @param messages in the order modprobe prints them; a {@link Level#LOG} one, if any, is last
     * @param removed  the modules taken out of the kernel, in order
     */
    public record Result(Errno errno, List<Message> messages, List<String> removed) {
        public boolean ok() {
            return errno == null;
        }
    }

    private final ResolveContext ctx;
    private final ModuleRemover remover;

    /** @param hookTimeout, shell, io where and how long remove commands run (see {@link HookRunner}) */
    public AliasRemoval(ResolveContext ctx, Kernel kernel, Duration hookTimeout, String shell, HookIo io) {
        this.ctx = ctx;
        this.remover = new ModuleRemover(kernel, this::info, hookTimeout, shell, io);
    }

    public Result remove(String alias, ModuleRemover.Options options) {
        List<ModuleRef> list = ctx.find(alias);
        List<Message> messages = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        if (list.isEmpty()) {
            messages.add(new Message(Level.LOG, "Module " + alias + " not found."));
            return new Result(Errno.ENOENT, messages, removed);
        }
        for (ModuleRef mod : list) {
            if (mod.builtin() && (options.ignoreCommands() || ctx.removeCommand(mod) == null)) {
                // the index says builtin: kmod refuses before looking at sysfs
                messages.add(new Message(Level.LOG, "Module " + mod.name() + " is builtin."));
                return new Result(Errno.ENOENT, messages, removed);
            }
            ModuleRemover.Outcome r = remover.remove(mod.name(), options);
            removed.addAll(r.removed());
            r.warnings().stream().filter(w -> w != null).forEach(w -> messages.add(new Message(Level.ERROR, w)));
            if (!r.ok()) {
                if (r.message() != null && r.message().startsWith("Error running remove command")) {
                    // modprobe's own wording; the detail (exit status, time limit) only with -v
                    messages.add(new Message(Level.LOG, "Error running remove command for " + mod.name()));
                    messages.add(new Message(Level.INFO, r.message()));
                } else if (r.message() != null) {
                    messages.add(new Message(r.message().startsWith("could not remove") ? Level.ERROR : Level.LOG,
                            r.message()));
                }
                return new Result(r.errno(), messages, removed);
            }
        }
        return new Result(null, messages, removed);
    }

    /**
     * True when removing what the name stands for could run a {@code remove} command: one applies
     * to one of its modules, their hard dependencies or softdeps, followed through (without
     * {@code --remove-holders}, nothing else is removed). Decided from the configuration alone,
     * before anything is removed.
     */
    public boolean mayRunCommand(String alias) {
        Deque<ModuleRef> todo = new ArrayDeque<>(ctx.find(alias));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            ModuleRef m = todo.pop();
            if (!seen.add(m.name())) {
                continue;
            }
            if (ctx.removeCommand(m) != null) {
                return true;
            }
            todo.addAll(ctx.dependencies(m));
            ResolveContext.SoftdepModules soft = ctx.softdeps(m);
            todo.addAll(soft.pre());
            todo.addAll(soft.post());
        }
        return false;
    }

    /** What the index and modprobe.d say about a module, for removal. */
    private ModuleRemover.Info info(String name) {
        ModuleRef m = ctx.byName(name);
        // modules.dep lists users first; the remover wants them as the file has them
        List<String> inFileOrder = new ArrayList<>(ctx.dependencies(m).stream().map(ModuleRef::name).toList());
        Collections.reverse(inFileOrder);
        ResolveContext.SoftdepModules soft = ctx.softdeps(m);
        return new ModuleRemover.Info(inFileOrder, soft.pre().stream().map(ModuleRef::name).toList(),
                soft.post().stream().map(ModuleRef::name).toList(), ctx.removeCommand(m));
    }
}
