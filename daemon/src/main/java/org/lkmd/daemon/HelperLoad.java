package org.lkmd.daemon;

import com.google.gson.JsonObject;
import org.lkmd.control.ControlCodec;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.ModuleRef;
import org.lkmd.loader.Prober;
import org.lkmd.loader.ResolveContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One {@code modprobe -q -- NAME} from the kernel's module helper, done by the daemon: kmod's
 * lookup, modprobe's blacklist rule (aliases only), the daemon's shared loader. The answer holds
 * modprobe's exit code and the lines modprobe would have printed.
 */
final class HelperLoad {
    private static final Logger log = LoggerFactory.getLogger(HelperLoad.class);
    private final Supplier<Snapshot> snapshot;
    private final Prober prober;
    private final boolean simulate;

    /**
     * @param prober   the daemon's own, so helper loads and event loads share one single-flight loader
     * @param simulate plan loads without making them
     */
    HelperLoad(Supplier<Snapshot> snapshot, Prober prober, boolean simulate) {
        this.snapshot = snapshot;
        this.prober = prober;
        this.simulate = simulate;
    }

    JsonObject run(String name) {
        Snapshot s = snapshot.get();
        ResolveContext ctx = s.resolver().newContext();
        List<String> messages = new ArrayList<>();
        List<ModuleRef> mods;
        try {
            mods = ctx.lookup(name);
        } catch (ResolveContext.InvalidNameException e) {
            mods = List.of();
        }
        int rc = 0;
        if (mods.isEmpty()) {
            messages.add("modprobe: FATAL: Module " + name + " not found in directory " + ctx.modulesDir());
            rc = 1;
        }
        Prober.Flags flags = new Prober.Flags(false, simulate, false, false, false, 0, step -> { });
        for (ModuleRef m : mods) {
            Prober.Result r = prober.probe(ctx, m, name, null, flags);
            // modprobe goes on through the list and exits with the last module's result
            rc = r.failed() ? 1 : 0;
            if (r.failed()) {
                if (Prober.failedInCommand(r)) {
                    messages.add("modprobe: ERROR: " + r.message());
                }
                messages.add("modprobe: ERROR: " + ModuleLoader.insertMessage(m.name(), r.errno()));
                log.warn("Failed to load module {} for the kernel's request '{}': {}", m.name(), name, r.message());
            } else if (r.kind() == Prober.Kind.LOADED || r.kind() == Prober.Kind.DRY_RUN) {
                log.info("{} module {} for the kernel's request '{}'",
                        r.kind() == Prober.Kind.LOADED ? "Loaded" : "Would load", m.name(), name);
            }
        }
        JsonObject o = ControlCodec.ok();
        o.addProperty("rc", rc);
        o.add("messages", ControlCodec.strings(messages));
        return o;
    }
}
