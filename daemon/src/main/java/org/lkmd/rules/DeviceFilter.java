package org.lkmd.rules;

import org.lkmd.index.Fnmatch;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The device filters of {@code udevadm trigger} (systemd 252's device enumerator), for
 * {@code lkmd trigger}. Every pattern is a glob with glibc {@code fnmatch(3)} semantics
 * ({@link Fnmatch}). Different kinds of filter AND together; within a kind:
 *
 * <ul>
 * <li>subsystem: a device without a subsystem never matches; one matching nomatch pattern excludes
 * it; otherwise it matches when no match pattern is given or any one matches;</li>
 * <li>sysname: any pattern matches the device's name (its directory's name);</li>
 * <li>attribute: for every attribute named in a match, the attribute must be readable and its
 * value (trailing newlines removed) match any of the values given for that name, or, with no
 * value, merely be readable; one nomatch entry that holds in that sense excludes the device. As
 * in systemd, {@code ATTR} without a value clears the values given so far for that name
 * ({@code -a x=1 -a x} means "x exists"), and a value after it starts a new list
 * ({@code -a x -a x=1} means "x is 1");</li>
 * <li>property: the device matches when any of its properties has a name matching one key
 * pattern and a value matching one of that key's value patterns (all property matches OR);</li>
 * <li>parent: the device's directory is one of the parents or below one.</li>
 * </ul>
 *
 * Patterns and values are compared as byte strings (one byte per char, ISO-8859-1), as C does.
 * Immutable once built.
 */
public final class DeviceFilter {

    /** The device as the filter sees it; implementations may read lazily. */
    public interface Candidate {
        /** The device's directory under the root. */
        Path dir();

        /** The name udevadm's sysname match compares: the directory's name. */
        String sysname();

        /** The subsystem: the {@code subsystem} link's basename or the implicit one. */
        Optional<String> subsystem();

        /** A readable attribute's value with trailing newlines removed, byte per char. */
        Optional<String> attribute(String name);

        /** The device's properties as udev sees them, byte per char. */
        Map<String, String> properties();
    }

    private final List<Fnmatch> subsystems;
    private final List<Fnmatch> nomatchSubsystems;
    private final List<Fnmatch> sysnames;
    private final Map<String, List<Fnmatch>> attrs;
    private final Map<String, List<Fnmatch>> nomatchAttrs;
    private final Map<Fnmatch, List<Fnmatch>> properties;
    private final List<Path> parents;

    private DeviceFilter(Builder b) {
        this.subsystems = List.copyOf(b.subsystems);
        this.nomatchSubsystems = List.copyOf(b.nomatchSubsystems);
        this.sysnames = List.copyOf(b.sysnames);
        this.attrs = copy(b.attrs);
        this.nomatchAttrs = copy(b.nomatchAttrs);
        this.properties = copy(b.properties);
        this.parents = List.copyOf(b.parents);
    }

    private static <K> Map<K, List<Fnmatch>> copy(Map<K, List<Fnmatch>> m) {
        Map<K, List<Fnmatch>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The parent directories given, in order. */
    public List<Path> parents() {
        return parents;
    }

    /** True when the device passes every filter. */
    public boolean matches(Candidate c) {
        if (!sysnames.isEmpty() && !any(sysnames, bytes(c.sysname()))) {
            return false;
        }
        if (!matchesSubsystem(c.subsystem())) {
            return false;
        }
        if (!parents.isEmpty() && parents.stream().noneMatch(p -> c.dir().startsWith(p))) {
            return false;
        }
        if (!properties.isEmpty() && !matchesProperty(c.properties())) {
            return false;
        }
        for (Map.Entry<String, List<Fnmatch>> e : nomatchAttrs.entrySet()) {
            if (holds(c, e.getKey(), e.getValue())) {
                return false;
            }
        }
        for (Map.Entry<String, List<Fnmatch>> e : attrs.entrySet()) {
            if (!holds(c, e.getKey(), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private boolean matchesSubsystem(Optional<String> subsystem) {
        if (subsystem.isEmpty()) {
            return false;
        }
        String s = bytes(subsystem.get());
        if (any(nomatchSubsystems, s)) {
            return false;
        }
        return subsystems.isEmpty() || any(subsystems, s);
    }

    private boolean matchesProperty(Map<String, String> props) {
        for (Map.Entry<Fnmatch, List<Fnmatch>> e : properties.entrySet()) {
            for (Map.Entry<String, String> p : props.entrySet()) {
                if (e.getKey().matches(p.getKey()) && any(e.getValue(), p.getValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The attribute is readable and, when values are given, matches one of them. */
    private static boolean holds(Candidate c, String attr, List<Fnmatch> values) {
        Optional<String> v = c.attribute(attr);
        return v.isPresent() && (values.isEmpty() || any(values, v.get()));
    }

    private static boolean any(List<Fnmatch> patterns, String s) {
        for (Fnmatch f : patterns) {
            if (f.matches(s)) {
                return true;
            }
        }
        return false;
    }

    /** A Java string as the C byte string of its UTF-8 encoding, one byte per char. */
    static String bytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * Collects filters from command-line values. Each {@code add*} returns an error message for a
     * malformed value (and adds nothing), or empty.
     */
    public static final class Builder {
        private final List<Fnmatch> subsystems = new ArrayList<>();
        private final List<Fnmatch> nomatchSubsystems = new ArrayList<>();
        private final List<Fnmatch> sysnames = new ArrayList<>();
        private final Map<String, List<Fnmatch>> attrs = new LinkedHashMap<>();
        private final Map<String, List<Fnmatch>> nomatchAttrs = new LinkedHashMap<>();
        private final Map<Fnmatch, List<Fnmatch>> properties = new LinkedHashMap<>();
        private final Map<String, Fnmatch> propertyKeys = new LinkedHashMap<>();
        private final List<Path> parents = new ArrayList<>();

        private Builder() {
        }

        public Builder subsystem(String glob) {
            subsystems.add(Fnmatch.compile(bytes(glob)));
            return this;
        }

        public Builder nomatchSubsystem(String glob) {
            nomatchSubsystems.add(Fnmatch.compile(bytes(glob)));
            return this;
        }

        public Builder sysname(String glob) {
            sysnames.add(Fnmatch.compile(bytes(glob)));
            return this;
        }

        /** {@code ATTR} or {@code ATTR=GLOB}, as {@code --attr-match}. */
        public Optional<String> attr(String arg) {
            return attr(attrs, arg, "--attr-match");
        }

        /** {@code ATTR} or {@code ATTR=GLOB}, as {@code --attr-nomatch}. */
        public Optional<String> nomatchAttr(String arg) {
            return attr(nomatchAttrs, arg, "--attr-nomatch");
        }

        private static Optional<String> attr(Map<String, List<Fnmatch>> into, String arg, String option) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (name.isEmpty()) {
                return Optional.of(option + " '" + arg + "': no attribute name");
            }
            if (name.startsWith("/") || List.of(name.split("/")).contains("..")) {
                return Optional.of(option + " '" + arg + "': the attribute must be a path below the device's directory");
            }
            List<Fnmatch> values = into.computeIfAbsent(name, k -> new ArrayList<>());
            if (eq < 0) {
                // as systemd's update_match_strv(): no value means "any value", forgetting earlier ones
                values.clear();
            } else {
                values.add(Fnmatch.compile(bytes(arg.substring(eq + 1))));
            }
            return Optional.empty();
        }

        /** {@code KEY=GLOB}, as {@code --property-match}; the key is a glob too. */
        public Optional<String> property(String arg) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                return Optional.of("--property-match '" + arg + "': expected KEY=VALUE");
            }
            String key = arg.substring(0, eq);
            Fnmatch k = propertyKeys.computeIfAbsent(key, x -> Fnmatch.compile(bytes(x)));
            properties.computeIfAbsent(k, x -> new ArrayList<>()).add(Fnmatch.compile(bytes(arg.substring(eq + 1))));
            return Optional.empty();
        }

        /** A parent device's directory (already resolved to a device). */
        public Builder parent(Path dir) {
            if (!parents.contains(dir)) {
                parents.add(dir);
            }
            return this;
        }

        public DeviceFilter build() {
            return new DeviceFilter(this);
        }
    }
}
