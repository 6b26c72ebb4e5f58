package org.lkmd.depmod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The module array: hash-table iteration order of the module names (512 buckets), then a stable
 * sort (glibc's qsort is a merge sort for arrays this size) by {@code modules.order} position;
 * unlisted modules keep their hash order after the listed ones. A later listing of the same path
 * overrides an earlier one, as in kmod 30.
 */
final class ModuleOrder {
    private ModuleOrder() {
    }

    static List<DepmodModule> arrange(Map<String, DepmodModule> byName, Path moduleDir, String dirname, DepmodLog log) {
        List<DepmodModule> array = new ArrayList<>(byName.size());
        for (String name : KmodHash.iterationOrder(byName.keySet(), 512)) {
            array.add(byName.get(name));
        }
        Path order = moduleDir.resolve("modules.order");
        byte[] data = null;
        try {
            data = Files.readAllBytes(order);
        } catch (NoSuchFileException e) {
            log.warn("could not open modules.order at " + dirname + ": No such file or directory");
        } catch (IOException e) {
            log.warn("could not open modules.order at " + dirname + ": " + ModuleScanner.reason(e));
        }
        if (data != null) {
            sortByOrderFile(array, new String(data, StandardCharsets.ISO_8859_1), dirname + "/modules.order", log);
        }
        for (int i = 0; i < array.size(); i++) {
            array.get(i).idx = i;
        }
        return array;
    }

    private static void sortByOrderFile(List<DepmodModule> array, String text, String file, DepmodLog log) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            int lines = text.split("\n", -1).length;
            log.error(file + ":" + lines + " corrupted line misses '\\n'");
            return;
        }
        String[] lines = text.isEmpty() ? new String[0] : text.substring(0, text.length() - 1).split("\n", -1);
        int total = lines.length + 1;
        Map<String, DepmodModule> byUncompressed = new HashMap<>();
        for (DepmodModule m : array) {
            String u = m.uncompressedRelpath();
            if (u != null) {
                byUncompressed.putIfAbsent(u, m);
            }
        }
        for (int i = 0; i < lines.length; i++) {
            DepmodModule m = byUncompressed.get(lines[i]);
            if (m != null) {
                m.sortIdx = (i + 1) - total;
            }
        }
        array.sort(Comparator.comparingInt(m -> m.sortIdx)); // List.sort is stable, like glibc's merge sort
    }
}
