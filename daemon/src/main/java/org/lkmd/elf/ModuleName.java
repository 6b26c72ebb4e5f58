package org.lkmd.elf;

import java.util.List;

/** Module names from file names, as libkmod derives them, and the file suffixes depmod accepts. */
public final class ModuleName {
    /** Module file suffixes depmod indexes. */
    public static final List<String> SUFFIXES = List.of(".ko", ".ko.gz", ".ko.xz", ".ko.zst");

    private ModuleName() {
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

    /** The basename up to its first '.', with '-' replaced by '_'; see {@link org.lkmd.index.ModuleNames#fromPath}. */
    public static String fromPath(String path) {
        return org.lkmd.index.ModuleNames.fromPath(path);
    }
}
