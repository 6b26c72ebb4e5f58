package org.lkmd.index;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Files the patterns of large groups under one three-character piece ("gram") that any string
 * they match must contain, and finds candidates for a query tail by its grams. A pattern's
 * grams come from its literal runs before any '[' or '\' (bracket and escape syntax is left
 * alone, so a gram is always truly required); of those it is filed under the one shared by the
 * fewest patterns of its group. Open addressing over (group, gram) keys. Immutable once sealed.
 */
final class GramTable {

    private final Map<Long, List<Integer>> building = new HashMap<>();
    private long[] keys;
    private int[][] postings;
    private int mask;

    /**
     * Files the members of group {@code groupId} that have a gram; returns the others, which the
     * caller checks one by one.
     */
    int[] file(int groupId, int[] members, IntFunction<String> tailOf) {
        Map<Integer, Set<Integer>> gramsOf = new HashMap<>();
        Map<Integer, Integer> freq = new HashMap<>();
        for (int e : members) {
            Set<Integer> g = grams(tailOf.apply(e));
            gramsOf.put(e, g);
            for (int gram : g) {
                freq.merge(gram, 1, Integer::sum);
            }
        }
        List<Integer> rest = new ArrayList<>();
        for (int e : members) {
            Set<Integer> g = gramsOf.get(e);
            if (g.isEmpty()) {
                rest.add(e);
                continue;
            }
            int best = g.stream().min((a, b) -> Integer.compare(freq.get(a), freq.get(b))).orElseThrow();
            building.computeIfAbsent(key(groupId, best), k -> new ArrayList<>()).add(e);
        }
        return rest.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Set<Integer> grams(String tail) {
        Set<Integer> out = new HashSet<>();
        int run = 0;
        for (int i = 0; i < tail.length(); i++) {
            char c = tail.charAt(i);
            if (c == '[' || c == '\\') {
                break;
            }
            if (c == '*' || c == '?' || c > 0xFF) {
                run = 0;
                continue;
            }
            run++;
            if (run >= 3) {
                out.add(code(tail.charAt(i - 2), tail.charAt(i - 1), c));
            }
        }
        return out;
    }

    private static int code(char a, char b, char c) {
        return (a << 16) | (b << 8) | c;
    }

    private static long key(int groupId, int gram) {
        return ((long) groupId << 24 | gram) + 1; // never 0, the empty slot
    }

    void seal() {
        int cap = Integer.highestOneBit(Math.max(4, building.size() * 2)) * 2;
        keys = new long[cap];
        postings = new int[cap][];
        mask = cap - 1;
        building.forEach((k, l) -> {
            int s = slot(k);
            keys[s] = k;
            postings[s] = l.stream().mapToInt(Integer::intValue).toArray();
        });
        building.clear();
    }

    private int slot(long k) {
        int h = (int) (k ^ (k >>> 29)) * 0x9E3779B1;
        int s = h & mask;
        while (keys[s] != 0 && keys[s] != k) {
            s = (s + 1) & mask;
        }
        return s;
    }

    /** Feeds every pattern of the group filed under a gram of {@code query[from..]}. */
    void candidates(int groupId, String query, int from, IntConsumer out) {
        int n = query.length();
        for (int i = from; i + 2 < n; i++) {
            char a = query.charAt(i);
            char b = query.charAt(i + 1);
            char c = query.charAt(i + 2);
            if ((a | b | c) > 0xFF) {
                continue;
            }
            int s = slot(key(groupId, code(a, b, c)));
            if (keys[s] != 0) {
                for (int e : postings[s]) {
                    out.accept(e);
                }
            }
        }
    }
}
