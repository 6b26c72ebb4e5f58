package org.lkmd.depmod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The kernel's own exports for {@code depmod -E Module.symvers} ({@code CRC\tSYMBOL\tvmlinux\t...}
 * lines; other owners ignored) and {@code depmod -F System.map} ({@code ADDR TYPE __ksymtab_SYMBOL}
 * lines). Both also enter the symbols the module loader fakes ({@code __this_module},
 * {@code _GLOBAL_OFFSET_TABLE_}).
 */
final class KernelSymbols {
    private KernelSymbols() {
    }

    static boolean loadSymvers(Path file, DependencyGraph graph, Map<String, Long> crcs, DepmodLog log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return false;
        }
        int n = 0;
        for (String line : lines) {
            n++;
            String[] w = line.trim().split("[ \t]+");
            if (w.length < 3 || !w[2].equals("vmlinux")) {
                continue;
            }
            String ver = w[0].startsWith("0x") || w[0].startsWith("0X") ? w[0].substring(2) : w[0];
            long crc;
            try {
                crc = Long.parseUnsignedLong(ver, 16);
            } catch (NumberFormatException e) {
                log.error(file + ":" + n + " Invalid symbol version " + w[0] + ": Success");
                continue;
            }
            graph.addKernelSymbol(w[1]);
            crcs.put(w[1], crc);
        }
        fake(graph);
        return true;
    }

    static boolean loadSystemMap(Path file, DependencyGraph graph, DepmodLog log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return false;
        }
        int n = 0;
        for (String line : lines) {
            n++;
            int a = line.indexOf(' ');
            int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
            if (b < 0) {
                log.error(file + ":" + n + ": invalid line: " + line);
                continue;
            }
            String sym = line.substring(b + 1);
            if (sym.startsWith("__ksymtab_")) {
                graph.addKernelSymbol(sym.substring("__ksymtab_".length()));
            }
        }
        fake(graph);
        return true;
    }

    private static void fake(DependencyGraph graph) {
        graph.addKernelSymbol("__this_module");
        graph.addKernelSymbol("_GLOBAL_OFFSET_TABLE_");
    }
}
