package org.lkmd.it.debian;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The phases of traced kernel module requests, from the lines of a tracefs {@code trace} file:
 * {@code tracing_mark_write} markers {@code B ROUND HELPER REQUEST} and {@code E ...} around each
 * sample, {@code module_request}, the helper's {@code sched_process_exec} and
 * {@code sched_process_exit}, {@code sys_finit_module} entries and returns, and {@code sched_switch}
 * (who ran on each CPU). Round 0 (the warm-up) is left out. Used by {@link KernelRequestBench}.
 */
final class RequestTrace {
    /** Phase names, in the order of {@link #phases}' arrays. */
    static final List<String> NAMES = List.of("request_to_exec", "exec_to_first_finit", "finit", "between_finits",
            "last_finit_to_exit", "request_to_exit", "exit_to_end", "finit_off_cpu", "finit_preempted");
    private static final Pattern LINE = Pattern.compile("^\\s*(.+?)-(\\d+)\\s+\\[(\\d+)\\].*?\\s(\\d+\\.\\d+): (.*)$");
    private static final Pattern SWITCH = Pattern.compile(
            "sched_switch: prev_comm=(.*) prev_pid=(\\d+) prev_prio=\\d+ prev_state=(\\S+) ==> next_comm=(.*) next_pid=(\\d+) next_prio=\\d+");
    private static final Pattern NUMBERED = Pattern.compile("^(.*?)[-/:]?\\d+(:\\d+)?[A-Za-z]?$");

    /** The samples of the trace, by {@code HELPER REQUEST}, without round 0. */
    private final Map<String, List<Sample>> samples;

    /** Parses the trace's lines once; {@link #phases} and {@link #cpu} read its samples. */
    RequestTrace(List<String> lines) {
        this.samples = samples(lines);
    }

    /** One traced event: the task's pid, its CPU, the time in ms and the event's text. */
    private record Event(String pid, int cpu, double ms, String what) {
    }

    /** One sample between its markers {@code B} and {@code E} (in ms), with the events between them. */
    private record Sample(double begin, double end, List<Event> events) {
    }

    /** The samples of the trace, by {@code HELPER REQUEST}, without round 0. */
    private static Map<String, List<Sample>> samples(List<String> lines) {
        Map<String, List<Sample>> out = new LinkedHashMap<>();
        String key = null;
        double begin = 0;
        List<Event> events = new ArrayList<>();
        for (String l : lines) {
            Matcher m = LINE.matcher(l);
            if (!m.matches()) {
                continue;
            }
            Event e = new Event(m.group(2), Integer.parseInt(m.group(3)), Double.parseDouble(m.group(4)) * 1000, m.group(5));
            if (e.what.startsWith("tracing_mark_write: ")) {
                String[] f = e.what.substring("tracing_mark_write: ".length()).strip().split(" ", 2);
                if (f[0].equals("B")) {
                    key = f[1];
                    begin = e.ms;
                    events = new ArrayList<>();
                } else if (f[0].equals("E") && f[1].equals(key)) {
                    String[] k = key.split(" ", 2);
                    if (!k[0].equals("0")) {
                        out.computeIfAbsent(k[1], x -> new ArrayList<>()).add(new Sample(begin, e.ms, events));
                    }
                    key = null;
                }
            } else if (key != null) {
                events.add(e);
            }
        }
        return out;
    }

    /**
     * Each sample's phases in ms ({@link #NAMES}), by {@code HELPER REQUEST}; a sample that lacks an
     * event (no request, exec, exit or finit_module seen) is left out.
     */
    Map<String, List<double[]>> phases() {
        Map<String, List<double[]>> out = new LinkedHashMap<>();
        samples.forEach((key, samples) -> {
            for (Sample s : samples) {
                double[] p = phases(s);
                if (p != null) {
                    out.computeIfAbsent(key, x -> new ArrayList<>()).add(p);
                }
            }
        });
        return out;
    }

    /** One sample's phases, or null if an event is missing. */
    private static double[] phases(Sample s) {
        double request = -1;
        double exec = -1;
        double exit = -1;
        String helper = null;
        Map<String, Double> entered = new HashMap<>();
        Map<String, Double> switchedOut = new HashMap<>();
        Map<String, Boolean> preempted = new HashMap<>();
        double first = -1;
        double last = -1;
        double inFinit = 0;
        double offCpu = 0;
        double offPreempted = 0;
        for (Event e : s.events) {
            double t = e.ms;
            Matcher sw = SWITCH.matcher(e.what);
            if (sw.matches()) {
                if (entered.containsKey(sw.group(2))) {
                    switchedOut.put(sw.group(2), t);
                    preempted.put(sw.group(2), sw.group(3).startsWith("R"));
                }
                Double out = switchedOut.remove(sw.group(5));
                if (out != null && entered.containsKey(sw.group(5))) {
                    offCpu += t - out;
                    offPreempted += preempted.get(sw.group(5)) ? t - out : 0;
                }
            } else if (e.what.startsWith("module_request: ") && request < 0) {
                request = t;
            } else if (e.what.startsWith("sched_process_exec: ") && request >= 0 && exec < 0) {
                exec = t;
                helper = e.pid;
            } else if (e.what.startsWith("sched_process_exit: ") && e.pid.equals(helper) && exit < 0) {
                exit = t;
            } else if (e.what.startsWith("sys_finit_module(") && exec >= 0) {
                entered.put(e.pid, t);
                if (first < 0) {
                    first = t;
                }
            } else if (e.what.startsWith("sys_finit_module -> ") && entered.containsKey(e.pid)) {
                inFinit += t - entered.remove(e.pid);
                last = t;
            }
        }
        if (request < 0 || exec < 0 || exit < 0 || first < 0 || last < 0) {
            return null;
        }
        return new double[] {exec - request, first - exec, inFinit, last - first - inFinit, exit - last, exit - request,
            s.end - exit, offCpu, offPreempted};
    }

    /**
     * One sample's CPU time in ms by task, from {@code sched_switch}: {@code all}, on every CPU from
     * the marker {@code B} to {@code E}; {@code overFinit}, on the CPU a task in {@code finit_module}
     * left while runnable (preempted), until it ran again.
     */
    record CpuUse(Map<String, Double> all, Map<String, Double> overFinit) {
    }

    /**
     * Each sample's {@link CpuUse}, by {@code HELPER REQUEST}. Tasks are named by their command
     * without a trailing number ({@code kworker/1:2} and {@code kworker/0:1H} are {@code kworker},
     * {@code lkmd-request-3} is {@code lkmd-request}, the idle tasks {@code swapper}). A CPU whose
     * first switch comes after {@code B} ran its {@code prev} task since {@code B}; a CPU with no
     * switch in the sample is not counted.
     */
    Map<String, List<CpuUse>> cpu() {
        Map<String, List<CpuUse>> out = new LinkedHashMap<>();
        samples.forEach((key, samples) -> {
            for (Sample s : samples) {
                Map<String, Double> all = new TreeMap<>();
                Map<String, Double> overFinit = new TreeMap<>();
                Map<Integer, Double> since = new HashMap<>();
                Map<Integer, String> running = new HashMap<>();
                java.util.Set<String> inFinit = new java.util.HashSet<>();
                // CPU -> the pid in finit_module that was preempted there
                Map<Integer, String> preempted = new HashMap<>();
                for (Event e : s.events) {
                    Matcher sw = SWITCH.matcher(e.what);
                    if (sw.matches()) {
                        String prev = task(sw.group(1));
                        double ran = e.ms - since.getOrDefault(e.cpu, s.begin);
                        all.merge(prev, ran, Double::sum);
                        if (preempted.containsKey(e.cpu)) {
                            overFinit.merge(prev, ran, Double::sum);
                        }
                        preempted.values().remove(sw.group(5));
                        if (inFinit.contains(sw.group(2)) && sw.group(3).startsWith("R")) {
                            preempted.put(e.cpu, sw.group(2));
                        }
                        since.put(e.cpu, e.ms);
                        running.put(e.cpu, task(sw.group(4)));
                    } else if (e.what.startsWith("sys_finit_module(")) {
                        inFinit.add(e.pid);
                    } else if (e.what.startsWith("sys_finit_module -> ")) {
                        inFinit.remove(e.pid);
                    }
                }
                running.forEach((c, task) -> all.merge(task, s.end - since.get(c), Double::sum));
                out.computeIfAbsent(key, x -> new ArrayList<>()).add(new CpuUse(all, overFinit));
            }
        });
        return out;
    }

    /** A task's command without its trailing number. */
    static String task(String comm) {
        Matcher m = NUMBERED.matcher(comm.strip());
        return m.matches() && !m.group(1).isEmpty() ? m.group(1) : comm.strip();
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

    /**
     * {@code " TASK=MEAN ..."}: the mean CPU ms per sample of the {@code top} tasks with the most
     * time, most first (a task absent from a sample counts 0 there).
     */
    static String topTasks(List<Map<String, Double>> samples, int top) {
        Map<String, Double> sum = new HashMap<>();
        samples.forEach(s -> s.forEach((task, ms) -> sum.merge(task, ms, Double::sum)));
        StringBuilder b = new StringBuilder();
        sum.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
                .forEach(en -> b.append(String.format(" %s=%.1f", en.getKey().replace(' ', '_'), en.getValue() / samples.size())));
        return b.toString();
    }
}
