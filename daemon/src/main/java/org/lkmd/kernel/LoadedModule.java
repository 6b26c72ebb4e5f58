package org.lkmd.kernel;

import java.util.List;

/** One line of {@code /proc/modules}: name, size, use count, users, state. */
public record LoadedModule(String name, long size, int refcount, List<String> usedBy, String state) {

    public LoadedModule {
        usedBy = List.copyOf(usedBy);
    }

    /** Parses a {@code /proc/modules} line; null when it is not one. */
    public static LoadedModule parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 5) {
            return null;
        }
        try {
            long size = Long.parseLong(f[1]);
            int ref = f[2].equals("-") ? -1 : Integer.parseInt(f[2]);
            List<String> users = f[3].equals("-") ? List.of()
                    : java.util.Arrays.stream(f[3].split(",")).filter(s -> !s.isEmpty()).toList();
            return new LoadedModule(f[0], size, ref, users, f[4]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The line as the kernel writes it (address 0x0000000000000000, as for unprivileged readers). */
    public String toProcLine() {
        String users = usedBy.isEmpty() ? "-" : String.join(",", usedBy) + ",";
        return name + " " + size + " " + refcount + " " + users + " " + state + " 0x0000000000000000";
    }
}
