package org.lkmd.daemon;

import com.google.gson.JsonObject;
import org.lkmd.base.LogFields;
import org.lkmd.control.ControlCodec;
import org.lkmd.kernel.Kernel;
import org.lkmd.loader.AliasRemoval;
import org.lkmd.loader.HookIo;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.ModuleRemover;
import org.lkmd.modprobe.ResolveContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A person's {@code modprobe -r [-q] NAME}, which the module helper forwards while the daemon runs,
 * done with the tool's own removal ({@link AliasRemoval}) on the snapshot in force: the answer
 * holds modprobe's exit code and the lines it would have printed (at its default verbosity).
 *
 * <p>Refused before anything is removed, where the daemon would not do what kmod's modprobe run by
 * that person does, and the client's own tool (the Java one) does it then: by a daemon that only
 * simulates, when a modprobe.d file or the module index changed since the snapshot read them
 * ({@link ModprobeInputs}), and when a {@code remove} command could run (kmod runs it in the
 * person's session, its output on their terminal).
 */
final class HelperRemove {
    private static final Logger log = LoggerFactory.getLogger(HelperRemove.class);
    private final Supplier<Snapshot> snapshot;
    private final Kernel kernel;
    private final boolean simulate;

    /** @param kernel the daemon's kernel, where the modules are removed */
    HelperRemove(Supplier<Snapshot> snapshot, Kernel kernel, boolean simulate) {
        this.snapshot = snapshot;
        this.kernel = kernel;
        this.simulate = simulate;
    }

    JsonObject run(String name) {
        if (simulate) {
            return ControlCodec.error("remove: this daemon only simulates loads");
        }
        Snapshot s = snapshot.get();
        if (s.modprobeInputs().changed()) {
            return ControlCodec.error("remove: the configuration changed since the daemon read it");
        }
        ResolveContext ctx = s.newContext();
        // a remove command is refused below, so none runs here: the hook settings are never used
        AliasRemoval removal = new AliasRemoval(ctx, kernel, ModuleLoader.DEFAULT_HOOK_TIMEOUT, "/bin/sh",
                HookIo.INHERIT);
        if (removal.mayRunCommand(name)) {
            return ControlCodec.error("remove: a remove command runs in the caller's session");
        }
        AliasRemoval.Result r;
        try (MDC.MDCCloseable origin = MDC.putCloseable(LogFields.ORIGIN, LogFields.COMMAND_LINE)) {
            r = removal.remove(name, ModuleRemover.Options.DEFAULT);
            if (!r.removed().isEmpty()) {
                log.info("Removed {} for the command line modprobe -r {}", String.join(", ", r.removed()), name);
            }
            if (!r.ok()) {
                log.info("modprobe -r {} from the command line failed: {}", name, r.errno().text());
            }
        }
        List<String> messages = new ArrayList<>();
        for (AliasRemoval.Message m : r.messages()) {
            switch (m.level()) {
                case LOG -> messages.add("modprobe: FATAL: " + m.text());
                case ERROR -> messages.add("modprobe: ERROR: " + m.text());
                case INFO -> { } // printed only with -v, which is not forwarded
            }
        }
        JsonObject answer = ControlCodec.ok();
        answer.addProperty("rc", r.ok() ? 0 : 1);
        answer.add("messages", ControlCodec.strings(messages));
        return answer;
    }
}
