package org.lkmd.elf;

import java.util.List;

/** The file suffixes of module files, as depmod and modinfo accept them (names: {@link org.lkmd.base.ModuleNames}). */
public final class ModuleFiles {
    /** Module file suffixes depmod indexes. */
    public static final List<String> SUFFIXES = List.of(".ko", ".ko.gz", ".ko.xz", ".ko.zst");

    private ModuleFiles() {
    }

    /** True when a file name ends in a module suffix and has something before it. */
    public static boolean isModuleFile(String fileName) {
        for (String s : SUFFIXES) {
            if (fileName.length() > s.length() && fileName.endsWith(s)) {
                return true;
            }
        }
        return false;
    }
}
