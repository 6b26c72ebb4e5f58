package org.lkmd.depmod;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KmodHashTest {
    /** Values from a C build of the same SuperFastHash on x86-64 (unsigned int). */
    @ParameterizedTest
    @CsvSource({"e1000e,1109782235", "usbcore,2453345319", "a,291415938", "ab,1366002500", "abc,3535673738",
            "abcd,3671636187", "printk,1778934737", "usb_find_common_endpoints,1025544628", "snd_hda_intel,1849698465"})
    void superFastHashMatchesTheCBuild(String key, long expected) {
        assertEquals(expected, Integer.toUnsignedLong(KmodHash.superFast(key.getBytes(StandardCharsets.ISO_8859_1))));
    }

    @Test
    void iterationVisitsBucketsInOrderAndStrcmpOrderInside() {
        // in a one-bucket table only strcmp order remains (unsigned bytes: 'B' < '_' < 'a')
        assertEquals(List.of("B", "_x", "a", "ab"), KmodHash.iterationOrder(List.of("ab", "a", "_x", "B"), 1));
        List<String> keys = List.of("e1000e", "usbcore", "printk", "abc", "snd_hda_intel");
        List<String> order = KmodHash.iterationOrder(keys, 512);
        for (int i = 1; i < order.size(); i++) {
            int prev = KmodHash.bucket(order.get(i - 1), 512);
            int cur = KmodHash.bucket(order.get(i), 512);
            assertEquals(true, prev <= cur, order.toString());
        }
    }
}
