package org.lkmd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Copies of the real tree with every module recompressed ({@code xz -1} or {@code zstd -1}, both
 * cores through {@code xargs -P}), made once and kept under {@code target/} for later runs.
 */
final class CompressedTrees {
    private CompressedTrees() {
    }

    static synchronized Path get(String rel, String ext) throws IOException, InterruptedException {
        Path base = Path.of(System.getProperty("lkmd.repo", ".."), "tests/target/compressed-trees", ext);
        Path tree = base.resolve(rel);
        Path done = base.resolve(rel + ".done");
        if (Files.exists(done)) {
            return tree;
        }
        KmodTree.sh("rm", "-rf", tree.toString());
        Files.createDirectories(base);
        KmodTree.sh("cp", "-a", "/lib/modules/" + rel, tree.toString());
        for (String f : KmodTree.INDEXES) {
            Files.deleteIfExists(tree.resolve(f));
        }
        String compress = ext.equals("xz") ? "xz -1 -T1 -q" : "zstd -1 -q --rm";
        int cores = Runtime.getRuntime().availableProcessors();
        KmodTree.Result r = KmodTree.sh("sh", "-c", "find '" + tree + "' -name '*.ko' -print0 | xargs -0 -P" + cores
                + " -n64 " + compress);
        if (r.rc() != 0) {
            throw new IOException("compression failed: " + r.err());
        }
        Files.createFile(done);
        return tree;
    }
}
