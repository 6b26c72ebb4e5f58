package org.lkmd.index;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Any bytes read as a kmod binary index either work or raise {@link IndexFormatException}; no
 * other exception escapes. When the trie validates, every key it lists is found again by exact
 * search. Seeds: indexes kmod's depmod wrote for a four-module tree, the real
 * modules.builtin.alias.bin, and 2 KiB from each end of the real modules.alias.bin.
 */
class BinIndexReaderFuzzTest {
    private static final Path PATH = Path.of("fuzz.bin");
    private static final List<String> QUERIES = List.of("", "platform:pcspkr",
            "pci:v00001AF4d00001045sv00001AF4sd00001045bcFFscFFi00", "virtio:d00000005v00001AF4",
            "acpi*:PNP0303:*", "pcspkr", "symbol:crc_t10dif_generic", "fs-vfat");

    @FuzzTest(maxDuration = "5s")
    void readEveryIndex(byte[] file) throws IOException {
        BinIndexReader reader;
        try {
            reader = new BinIndexReader(PATH, ByteBuffer.wrap(file));
        } catch (IndexFormatException e) {
            return;
        }
        List<String> keys = new ArrayList<>(QUERIES);
        boolean valid;
        try {
            reader.validate();
            reader.forEach((k, v) -> {
                if (keys.size() < QUERIES.size() + 16) {
                    keys.add(k);
                }
            });
            valid = true;
        } catch (IndexFormatException e) {
            valid = false;
        }
        for (String key : keys) {
            try {
                boolean found = reader.search(key).isPresent();
                if (valid && keys.indexOf(key) >= QUERIES.size()) {
                    assertTrue(found, "listed key not found by search: '" + key + "'");
                }
            } catch (IndexFormatException e) {
                // the walk may meet corruption that validate() did not reach only when invalid
                assertTrue(!valid, "search failed on a validated index: " + e.getMessage());
            }
            try {
                reader.searchWild(key);
            } catch (IndexFormatException e) {
                assertTrue(!valid, "searchWild failed on a validated index: " + e.getMessage());
            }
        }
        try {
            reader.dump("alias ", new StringBuilder());
        } catch (IndexFormatException e) {
            assertTrue(!valid, "dump failed on a validated index: " + e.getMessage());
        }
    }
}
