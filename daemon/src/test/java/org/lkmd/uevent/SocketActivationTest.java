package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SocketActivationTest {
    @Test
    void fdsArePassedOnlyToTheNamedPid() {
        assertEquals(List.of(3, 4), SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "2"), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "2"), 42));
    }

    @Test
    void missingOrMalformedVariablesMeanNoFds() {
        assertEquals(List.of(), SocketActivation.listenFds(Map.of(), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "42"), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "x", "LISTEN_FDS", "1"), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "0"), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "-3"), 42));
        assertEquals(List.of(), SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "99999"), 42));
    }
}
