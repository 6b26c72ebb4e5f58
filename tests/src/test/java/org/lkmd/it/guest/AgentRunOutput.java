package org.lkmd.it.guest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one agent boot ({@code tests/guest/agent-run lkmd|udev}) reported: the guest's
 * {@code LKMD-MODULES}, {@code LKMD-MOD}, {@code LKMD-DEV} lines and the host's
 * {@code LKMD-HOST} lines (formats in tests/guest/agent-boot.sh and tests/guest/agent-run).
 */
final class AgentRunOutput {
    private static final Pattern MODULES = Pattern.compile("LKMD-MODULES (coldplug|final) ?(.*)");
    private static final Pattern MOD = Pattern.compile("LKMD-MOD (\\S+) uptime_ms=\\d+( pre)?");
    private static final Pattern DEV = Pattern.compile("LKMD-DEV (\\S+) (\\S+) driver=(\\S+)");
    private static final Pattern HOTPLUG = Pattern.compile(
            "LKMD-HOST hotplug device=(\\S+) ok=(true|false) ms=(-?\\d+) modules=(\\S*) extra=(\\S*)( error=(\\S+))?");
    private static final Pattern SUMMARY = Pattern.compile(
            "LKMD-HOST summary agent=(\\S+) coldplug_done_ms=(-?\\d+) last_coldplug_driver_ms=(-?\\d+) coldplug_modules=(\\d+)");
    private static final Pattern HOST_COLDPLUG = Pattern.compile("LKMD-HOST coldplug-modules ?(.*)");
    private static final Pattern EXIT = Pattern.compile("LKMD-HOST exit status=(\\d+)");
    private static final Pattern JVM = Pattern.compile("LKMD-JVM version_ms=(\\d+).*");

    record Hotplug(String device, boolean ok, long ms, String modules, String extra, String error) {
    }

    final StringBuilder console = new StringBuilder();
    final Set<String> coldplugModules = new TreeSet<>();
    final Set<String> finalModules = new TreeSet<>();
    final Set<String> preModules = new TreeSet<>();
    /** What went Live from the agent's start until the first hot-add (the host's view, see agent-run). */
    final Set<String> hostColdplugModules = new TreeSet<>();
    boolean sawHostColdplug;
    boolean sawColdplug;
    boolean sawFinal;
    /** bus/device to bound driver ("-" for none), for every device with a modalias at the end. */
    final Map<String, String> drivers = new TreeMap<>();
    final Map<String, Hotplug> hotplugs = new LinkedHashMap<>();
    long coldplugDoneMs = -1;
    long lastColdplugDriverMs = -1;
    long jvmVersionMs = -1;
    int exitStatus = -1;

    void accept(String rawLine) {
        console.append(rawLine).append('\n');
        int at = rawLine.indexOf("LKMD-");
        if (at < 0) {
            return;
        }
        String line = rawLine.substring(at).strip();
        Matcher m;
        if ((m = MODULES.matcher(line)).matches()) {
            Set<String> into = m.group(1).equals("coldplug") ? coldplugModules : finalModules;
            into.addAll(words(m.group(2)));
            if (into == coldplugModules) {
                sawColdplug = true;
            } else {
                sawFinal = true;
            }
        } else if ((m = MOD.matcher(line)).matches()) {
            if (m.group(2) != null) {
                preModules.add(m.group(1));
            }
        } else if ((m = DEV.matcher(line)).matches()) {
            drivers.put(m.group(1) + "/" + m.group(2), m.group(3));
        } else if ((m = HOTPLUG.matcher(line)).matches()) {
            hotplugs.put(m.group(1), new Hotplug(m.group(1), m.group(2).equals("true"), Long.parseLong(m.group(3)),
                    m.group(4), m.group(5), m.group(7)));
        } else if ((m = HOST_COLDPLUG.matcher(line)).matches()) {
            hostColdplugModules.addAll(words(m.group(1)));
            sawHostColdplug = true;
        } else if ((m = SUMMARY.matcher(line)).matches()) {
            coldplugDoneMs = Long.parseLong(m.group(2));
            lastColdplugDriverMs = Long.parseLong(m.group(3));
        } else if ((m = JVM.matcher(line)).matches()) {
            jvmVersionMs = Long.parseLong(m.group(1));
        } else if ((m = EXIT.matcher(line)).matches()) {
            exitStatus = Integer.parseInt(m.group(1));
        }
    }

    /** The modules the agent brought in at coldplug (those live before it started excluded). */
    Set<String> agentColdplugModules() {
        Set<String> s = new TreeSet<>(coldplugModules);
        s.removeAll(preModules);
        return s;
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.strip().split("\\s+"));
    }
}
