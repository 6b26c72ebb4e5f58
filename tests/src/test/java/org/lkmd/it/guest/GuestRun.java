package org.lkmd.it.guest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one guest boot reported on its serial console, parsed from the {@code LKMD-*} lines that
 * {@code tests/guest/init} prints (console noise around them is ignored).
 */
final class GuestRun {
    private static final Pattern RESULT = Pattern.compile("LKMD-RESULT (\\S+) (PASS|FAIL) ?(.*)");
    private static final Pattern BOOT = Pattern.compile("LKMD-BOOT uptime_ms=(\\d+)");
    private static final Pattern DONE = Pattern.compile("LKMD-DONE uptime_ms=(\\d+) scenarios_ms=(\\d+)");
    private static final Pattern SCENARIO = Pattern.compile("LKMD-SCENARIO (\\S+) rc=(\\d+) ms=(\\d+)");
    private static final Pattern CHECKS = Pattern.compile("LKMD-CHECKS (\\S+) n=(\\d+)");

    record Result(String check, boolean pass, String detail) {
    }

    record Scenario(String name, int rc, long ms) {
    }

    final List<Result> results = new ArrayList<>();
    final List<Scenario> scenarios = new ArrayList<>();
    /** Scenario name to how many results it says it printed ({@code LKMD-CHECKS}, from lib.sh's exit trap). */
    final Map<String, Integer> announcedChecks = new LinkedHashMap<>();
    final StringBuilder console = new StringBuilder();
    long bootMs = -1;
    long doneUptimeMs = -1;
    long scenariosMs = -1;

    /** The results the scenario printed that reached the console ({@code name/check}). */
    long resultsOf(String scenario) {
        return results.stream().filter(r -> r.check().startsWith(scenario + "/")).count();
    }

    boolean done() {
        return doneUptimeMs >= 0;
    }

    /** Takes one console line; the kernel's serial console may prefix it with CR or escapes. */
    void accept(String rawLine) {
        console.append(rawLine).append('\n');
        int at = rawLine.indexOf("LKMD-");
        if (at < 0) {
            return;
        }
        String line = rawLine.substring(at).strip();
        Matcher m;
        if ((m = RESULT.matcher(line)).matches()) {
            results.add(new Result(m.group(1), m.group(2).equals("PASS"), m.group(3)));
        } else if ((m = SCENARIO.matcher(line)).matches()) {
            scenarios.add(new Scenario(m.group(1), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3))));
        } else if ((m = CHECKS.matcher(line)).matches()) {
            announcedChecks.put(m.group(1), Integer.parseInt(m.group(2)));
        } else if ((m = BOOT.matcher(line)).lookingAt()) {
            bootMs = Long.parseLong(m.group(1));
        } else if ((m = DONE.matcher(line)).matches()) {
            doneUptimeMs = Long.parseLong(m.group(1));
            scenariosMs = Long.parseLong(m.group(2));
        }
    }
}
