package org.lkmd.control;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ControlCodecTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "not json at all|malformed request: not JSON",
            "'{\"v\":1,'|malformed request: not JSON",
            "'[1]'|malformed request: not a JSON object",
            "'\"status\"'|malformed request: not a JSON object",
            "'{\"cmd\":\"status\"}'|unsupported protocol version null (this daemon speaks 1)",
            "'{\"v\":\"1\",\"cmd\":\"status\"}'|unsupported protocol version \"1\" (this daemon speaks 1)",
            "'{\"v\":2,\"cmd\":\"status\"}'|unsupported protocol version 2 (this daemon speaks 1)",
            "'{\"v\":1}'|malformed request: no \"cmd\"",
            "'{\"v\":1,\"cmd\":7}'|malformed request: no \"cmd\"",
    })
    void badRequestsSayWhy(String line, String why) {
        ControlCodec.BadRequest e = assertThrows(ControlCodec.BadRequest.class, () -> ControlCodec.parseRequest(line));
        assertEquals(why, e.getMessage());
    }

    @Test
    void requestsRoundTripAsOneLine() throws Exception {
        JsonObject r = ControlCodec.request("explain");
        r.addProperty("target", "platform:pcspkr\nsecond line");
        String line = ControlCodec.line(r);
        assertEquals(line.indexOf('\n'), line.length() - 1, "a newline inside a value must be escaped");
        JsonObject back = ControlCodec.parseRequest(line.strip());
        assertEquals("explain", ControlCodec.string(back, "cmd"));
        assertEquals("platform:pcspkr\nsecond line", ControlCodec.string(back, "target"));
    }
}
