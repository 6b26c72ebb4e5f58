package org.lkmd.it.debian;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The phases of traced kernel module requests, from the lines of a tracefs {@code trace} file:
 * {@code tracing_mark_write} markers {@code B ROUND HELPER REQUEST} and {@code E ...} around each
 * sample, {@code module_request}, the helper's {@code sched_process_exec} and
 * {@code sched_process_exit}, and {@code sys_finit_module} entries and returns. Round 0 (the warm-up)
 * is left out. Used by {@link KernelRequestBench}.
 */
final class RequestTrace {
    /** Phase names, in the order of {@link #phases}' arrays. */
    static final List<String> NAMES = List.of("request_to_exec", "exec_to_first_finit", "finit", "between_finits",
            "last_finit_to_exit", "request_to_exit");
    private static final Pattern LINE = Pattern.compile("^\\s*(.+?)-(\\d+)\\s+\\[\\d+\\].*?\\s(\\d+\\.\\d+): (.*)$");

    private RequestTrace() {
    }

    /**
     * Each sample's phases in ms, by {@code HELPER REQUEST}; a sample that lacks an event (no
     * request, exec, exit or finit_module seen) is left out.
     */
    static Map<String, List<double[]>> phases(List<String> lines) {
        Map<String, List<double[]>> out = new LinkedHashMap<>();
        String key = null;
        List<String[]> events = new ArrayList<>();
        for (String l : lines) {
            Matcher m = LINE.matcher(l);
            if (!m.matches()) {
                continue;
            }
            String what = m.group(4);
            if (what.startsWith("tracing_mark_write: ")) {
                String[] f = what.substring("tracing_mark_write: ".length()).strip().split(" ", 2);
                if (f[0].equals("B")) {
                    key = f[1];
                    events.clear();
                } else if (f[0].equals("E") && f[1].equals(key)) {
                    String[] k = key.split(" ", 2);
                    double[] p = sample(events);
                    if (!k[0].equals("0") && p != null) {
                        out.computeIfAbsent(k[1], x -> new ArrayList<>()).add(p);
                    }
                    key = null;
                }
            } else if (key != null) {
                events.add(new String[] {m.group(2), m.group(3), what});
            }
        }
        return out;
    }

    /** One sample's phases from its events {pid, seconds, text}, or null if one is missing. */
    private static double[] sample(List<String[]> events) {
        double request = -1;
        double exec = -1;
        double exit = -1;
        String helper = null;
        Map<String, Double> entered = new HashMap<>();
        double first = -1;
        double last = -1;
        double inFinit = 0;
        for (String[] e : events) {
            double t = Double.parseDouble(e[1]) * 1000;
            String what = e[2];
            if (what.startsWith("module_request: ") && request < 0) {
                request = t;
            } else if (what.startsWith("sched_process_exec: ") && request >= 0 && exec < 0) {
                exec = t;
                helper = e[0];
            } else if (what.startsWith("sched_process_exit: ") && e[0].equals(helper) && exit < 0) {
                exit = t;
            } else if (what.startsWith("sys_finit_module(") && exec >= 0) {
                entered.put(e[0], t);
                if (first < 0) {
                    first = t;
                }
            } else if (what.startsWith("sys_finit_module -> ") && entered.containsKey(e[0])) {
                inFinit += t - entered.remove(e[0]);
                last = t;
            }
        }
        if (request < 0 || exec < 0 || exit < 0 || first < 0 || last < 0) {
            return null;
        }
        return new double[] {exec - request, first - exec, inFinit, last - first - inFinit, exit - last, exit - request};
    }

    /** {@code " NAME_ms=MEDIAN ..."} over the samples. */
    static String medians(List<double[]> samples) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < NAMES.size(); i++) {
            int k = i;
            double[] a = samples.stream().mapToDouble(s -> s[k]).sorted().toArray();
            b.append(String.format(" %s_ms=%.1f", NAMES.get(i), KernelRequestBench.median(a)));
        }
        return b.toString();
    }
}
