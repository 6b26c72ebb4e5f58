package org.lkmd.depmod;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The iteration order of libkmod's string hash table ({@code shared/hash.c}), which decides the
 * order of {@code modules.symbols} and of modules missing from {@code modules.order}: buckets
 * chosen by Paul Hsieh's SuperFastHash of the key masked to a power-of-two bucket count, visited
 * in bucket order, and inside a bucket entries kept in {@code strcmp} order.
 */
public final class KmodHash {
    private KmodHash() {
    }

    /** SuperFastHash over the key's bytes, reading 16-bit words little-endian (as on x86) and single chars as signed C chars. */
    public static int superFast(byte[] key) {
        int len = key.length;
        int hash = len;
        int rem = len & 3;
        int i = 0;
        for (int n = len / 4; n > 0; n--) {
            hash += u16(key, i);
            int tmp = (u16(key, i + 2) << 11) ^ hash;
            hash = (hash << 16) ^ tmp;
            i += 4;
            hash += hash >>> 11;
        }
        switch (rem) {
            case 3 -> {
                hash += u16(key, i);
                hash ^= hash << 16;
                hash ^= key[i + 2] << 18;
                hash += hash >>> 11;
            }
            case 2 -> {
                hash += u16(key, i);
                hash ^= hash << 11;
                hash += hash >>> 17;
            }
            case 1 -> {
                hash += key[i];
                hash ^= hash << 10;
                hash += hash >>> 1;
            }
            default -> {
            }
        }
        hash ^= hash << 3;
        hash += hash >>> 5;
        hash ^= hash << 4;
        hash += hash >>> 17;
        hash ^= hash << 25;
        hash += hash >>> 6;
        return hash;
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
    }

    /** The bucket of a key in a table of {@code buckets} (a power of two) buckets. */
    public static int bucket(String key, int buckets) {
        return superFast(key.getBytes(StandardCharsets.ISO_8859_1)) & (buckets - 1);
    }

    /** Distinct keys in the order a libkmod hash of that many buckets iterates them. */
    public static List<String> iterationOrder(Collection<String> keys, int buckets) {
        record Keyed(int bucket, byte[] bytes, String key) {
        }
        List<Keyed> list = new ArrayList<>(keys.size());
        for (String k : keys) {
            byte[] b = k.getBytes(StandardCharsets.ISO_8859_1);
            list.add(new Keyed(superFast(b) & (buckets - 1), b, k));
        }
        list.sort(Comparator.comparingInt(Keyed::bucket).thenComparing(Keyed::bytes, Arrays::compareUnsigned));
        List<String> out = new ArrayList<>(list.size());
        for (Keyed k : list) {
            out.add(k.key());
        }
        return out;
    }
}
