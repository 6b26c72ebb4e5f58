package org.lkmd.uevent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * systemd's socket-activation protocol ({@code sd_listen_fds(3)}): when {@code LISTEN_PID} is this
 * process, fds {@code 3 .. 3+LISTEN_FDS-1} were passed open. No I/O; which of them is the uevent
 * socket is checked by {@link NetlinkUeventSource#fromSocketActivation}.
 */
public final class SocketActivation {
    /** The first passed fd ({@code SD_LISTEN_FDS_START}). */
    public static final int FIRST_FD = 3;
    /** More than this is not a plausible unit; such a value is treated as garbage. */
    static final int MAX_FDS = 1024;

    private SocketActivation() {
    }

    /** The passed fds, or an empty list when the variables are absent, malformed or for another pid. */
    public static List<Integer> listenFds(Map<String, String> env, long pid) {
        String listenPid = env.get("LISTEN_PID");
        String listenFds = env.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null) {
            return List.of();
        }
        long forPid;
        int n;
        try {
            forPid = Long.parseLong(listenPid.trim());
            n = Integer.parseInt(listenFds.trim());
        } catch (NumberFormatException e) {
            return List.of();
        }
        if (forPid != pid || n <= 0 || n > MAX_FDS) {
            return List.of();
        }
        List<Integer> fds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            fds.add(FIRST_FD + i);
        }
        return List.copyOf(fds);
    }
}
