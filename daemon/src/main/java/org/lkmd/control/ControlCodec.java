package org.lkmd.control;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;

import java.util.Collection;
import java.util.Map;

/**
 * The control protocol, version {@value #VERSION}, spoken over {@code /run/lkmd/control} (a Unix
 * stream socket, mode 0600, peers other than uid 0 refused).
 *
 * <p>Framing: newline-delimited JSON. Every message is one JSON object on one line, UTF-8, ended
 * by {@code \n}; a request line may be at most {@value #MAX_REQUEST} bytes. A request is
 * {@code {"v":1,"cmd":NAME, ...arguments}}; every response carries {@code "v":1} and {@code "ok"}:
 * {@code {"v":1,"ok":true, ...}} or {@code {"v":1,"ok":false,"error":TEXT}}. Commands:
 * <pre>
 * ping                                  → pid, version
 * set      log_level?, children_max?    → log_level, children_max (each with its source); applied live
 * exit                                  → ok, then the daemon stops (exit status 0)
 * history  since_ms?, module?, failed?  → events [the event log's records that match, oldest first]
 * status                                → uptime, snapshot, queue, counters, errors, reload problems
 * reload                                → reloaded (bool), generation, problems [file:line: message]
 * settle   timeout_ms                   → settled (bool), queued, running
 * explain  target (DEVPATH or MODALIAS) → text [lines]
 * load     name, origin?                 → rc, messages: {@code modprobe -q NAME} done by
 *                                         the daemon (what the kernel's module helper lkmd-modprobe
 *                                         forwards); origin "kernel" (the default) or "cli" (a person
 *                                         ran it: refused where the caller's own tool would act
 *                                         otherwise, see HelperLoad)
 * monitor  subsystem?, uuid?            → {"ok":true,"monitoring":true}, then one {"v":1,"event":{..}}
 *                                         line per handled event until the client closes
 * </pre>
 * One request is answered before the next is read; a connection may carry several. A line that
 * is not a JSON object, has no {@code cmd}, names an unknown command or another version, or is
 * longer than the bound gets an error response and the connection is closed. A connection that
 * sends nothing for the idle timeout (and is not monitoring or waiting) is closed.
 */
public final class ControlCodec {
    public static final int VERSION = 1;
    /** Longest request line accepted, in bytes. */
    public static final int MAX_REQUEST = 64 * 1024;
    /** The socket, under the root. */
    public static final String SOCKET = "/run/lkmd/control";

    // no HTML escaping: kmod's messages quote names ('fat'), and the C helper reads the wire's
    // strings with only the \" \\ \n \t escapes
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private ControlCodec() {
    }

    /** Parses one line; throws {@link BadRequest} with the reason when it is not a usable request. */
    public static JsonObject parseRequest(String line) throws BadRequest {
        JsonElement e;
        try {
            e = GSON.fromJson(line, JsonElement.class);
        } catch (JsonParseException | IllegalStateException ex) {
            throw new BadRequest("malformed request: not JSON");
        }
        if (e == null || !e.isJsonObject()) {
            throw new BadRequest("malformed request: not a JSON object");
        }
        JsonObject o = e.getAsJsonObject();
        JsonElement v = o.get("v");
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || v.getAsInt() != VERSION) {
            throw new BadRequest("unsupported protocol version " + v + " (this daemon speaks " + VERSION + ")");
        }
        JsonElement cmd = o.get("cmd");
        if (cmd == null || !cmd.isJsonPrimitive() || !cmd.getAsJsonPrimitive().isString()) {
            throw new BadRequest("malformed request: no \"cmd\"");
        }
        return o;
    }

    /** Parses one response or stream line from the daemon. */
    public static JsonObject parseResponse(String line) throws BadRequest {
        try {
            JsonElement e = GSON.fromJson(line, JsonElement.class);
            if (e != null && e.isJsonObject()) {
                return e.getAsJsonObject();
            }
        } catch (JsonParseException | IllegalStateException ex) {
            // fall through
        }
        throw new BadRequest("malformed response from the daemon");
    }

    public static JsonObject request(String cmd) {
        JsonObject o = new JsonObject();
        o.addProperty("v", VERSION);
        o.addProperty("cmd", cmd);
        return o;
    }

    public static JsonObject ok() {
        JsonObject o = new JsonObject();
        o.addProperty("v", VERSION);
        o.addProperty("ok", true);
        return o;
    }

    public static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("v", VERSION);
        o.addProperty("ok", false);
        o.addProperty("error", message);
        return o;
    }

    /** One line on the wire, newline included. */
    public static String line(JsonObject o) {
        return GSON.toJson(o) + "\n";
    }

    public static JsonArray strings(Collection<?> items) {
        JsonArray a = new JsonArray();
        for (Object x : items) {
            a.add(new JsonPrimitive(String.valueOf(x)));
        }
        return a;
    }

    public static JsonObject counts(Map<?, Long> m) {
        JsonObject o = new JsonObject();
        m.forEach((k, v) -> o.addProperty(String.valueOf(k), v));
        return o;
    }

    /** A string argument, or null when absent or not a string. */
    public static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    /** A request the daemon will not serve, with the reason sent back. */
    public static final class BadRequest extends Exception {
        public BadRequest(String message) {
            super(message);
        }
    }
}
