package org.lkmd.daemon;

import org.lkmd.eventlog.EventRecord;
import org.lkmd.loader.ProbeOutcome;
import org.lkmd.loader.Prober;

import java.util.ArrayList;
import java.util.List;

/** What a probe came to, as event-log outcomes, each with the probe's origin. */
final class ProbeRecords {
    /** Follows kmod's wording in the detail of a failure answered from the failure cache, not tried. */
    static final String FROM_CACHE = " [from the failure cache]";
    private ProbeRecords() {
    }

    /**
     * One outcome per module probed, in order; one NOT_FOUND outcome when nothing answers to the
     * request. A module's {@code detail} is kmod's wording of its failure, else the modules loaded
     * with it.
     */
    static List<EventRecord.Outcome> outcomes(ProbeOutcome o) {
        String query = o.request().query();
        String origin = o.request().origin().describe();
        if (o.notFound()) {
            return List.of(new EventRecord.Outcome(query, query, EventRecord.Result.NOT_FOUND, null, null, origin));
        }
        List<EventRecord.Outcome> out = new ArrayList<>();
        for (Prober.Result r : o.modules()) {
            String detail = r.failed() ? r.message() + (r.fromCache() ? FROM_CACHE : "")
                    : String.join(" ", r.loadedWith());
            out.add(new EventRecord.Outcome(r.module().name(), query, result(r.kind()), r.errno(), detail, origin));
        }
        return out;
    }

    static EventRecord.Result result(Prober.Kind k) {
        return switch (k) {
            case LOADED -> EventRecord.Result.LOADED;
            case ALREADY_LOADED -> EventRecord.Result.ALREADY_LOADED;
            case BUILTIN -> EventRecord.Result.BUILTIN;
            case BLACKLISTED -> EventRecord.Result.BLACKLISTED;
            case DRY_RUN -> EventRecord.Result.DRY_RUN;
            case FAILED -> EventRecord.Result.FAILED;
            case DENIED -> EventRecord.Result.DENIED;
        };
    }
}
