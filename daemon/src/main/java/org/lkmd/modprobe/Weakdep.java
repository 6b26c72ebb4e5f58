package org.lkmd.modprobe;

import java.util.List;

/** A {@code weakdep NAME DEP...} line: modprobe never loads these; initramfs tools do. */
public record Weakdep(String pattern, List<String> deps) {
    public Weakdep {
        deps = List.copyOf(deps);
    }
}
