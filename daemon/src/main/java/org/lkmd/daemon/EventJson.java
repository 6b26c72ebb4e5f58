package org.lkmd.daemon;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.lkmd.control.ControlCodec;
import org.lkmd.eventlog.EventRecord;

/** An {@link EventRecord} as the control socket's {@code monitor} stream sends it. */
final class EventJson {
    private EventJson() {
    }

    static JsonObject of(EventRecord r) {
        JsonObject o = new JsonObject();
        o.addProperty("source", r.source().name());
        o.addProperty("request", r.request());
        o.addProperty("seq", r.seqnum());
        o.addProperty("action", r.action());
        o.addProperty("devpath", r.devpath());
        o.addProperty("subsystem", r.subsystem());
        o.addProperty("modalias", r.modalias());
        o.addProperty("received", r.received().toString());
        o.addProperty("latency_us", r.latency().toNanos() / 1000);
        o.add("rules", ControlCodec.strings(r.rules()));
        JsonArray outs = new JsonArray();
        for (EventRecord.Outcome x : r.outcomes()) {
            JsonObject j = new JsonObject();
            j.addProperty("what", x.what());
            j.addProperty("query", x.query());
            j.addProperty("result", x.result().name());
            j.addProperty("errno", x.errno() == null ? null : x.errno().name());
            j.addProperty("detail", x.detail());
            j.addProperty("origin", x.origin());
            outs.add(j);
        }
        o.add("outcomes", outs);
        JsonObject props = new JsonObject();
        r.properties().forEach(props::addProperty);
        o.add("properties", props);
        return o;
    }
}
