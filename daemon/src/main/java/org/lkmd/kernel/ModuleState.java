package org.lkmd.kernel;

/** A module's state as {@code /sys/module/<name>/initstate} tells it, plus builtin and absent. */
public enum ModuleState {
    LIVE,
    COMING,
    GOING,
    BUILTIN,
    ABSENT;

    /** Parses the text of an {@code initstate} file; null for anything else. */
    static ModuleState fromInitstate(String text) {
        return switch (text.strip()) {
            case "live" -> LIVE;
            case "coming" -> COMING;
            case "going" -> GOING;
            default -> null;
        };
    }
}
