package org.lkmd.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Our in-memory answer to libkmod's wildcard search, built once from all entries of a wildcard
 * index ({@code modules.alias}, {@code modules.symbols}, {@code modules.builtin.alias}) and
 * giving exactly {@link BinIndexReader#searchWild}'s results and order, faster.
 *
 * <h2>Why this gives the same answers</h2>
 * For a query without {@code *}, {@code ?} or {@code [}, libkmod's walk finds a stored pattern
 * P exactly when P's literal part (up to its first wildcard, at index k) equals the query's
 * first k characters and {@code fnmatch(P[k..], query[k..])} holds (a pattern without wildcard
 * must equal the query). The walk meets matches in a fixed global order: smaller k first; for
 * equal k, post-order of the trie (at the first differing character the smaller one first, a
 * key after its own extensions); a key's values in stored order. Each match goes before the
 * first result of equal or higher priority, so the answer is the matches sorted by ascending
 * priority and, among equal priorities, by descending visit order. We number every entry once
 * in that visit order ({@code seq}) and sort matches by (priority, -seq).
 *
 * <h2>How it is fast</h2>
 * Patterns without wildcard sit in a hash map. The others are grouped by literal part in a
 * character trie walked along the query. Within a large group, each pattern is filed under the
 * rarest three-character piece of the literal text its tail must contain; the query tail's
 * three-character pieces pick the candidates, and only those run their precompiled glob.
 * Queries that themselves contain wildcard characters take libkmod's walk ({@code fallback}),
 * whose quirks (the query's wildcard characters also descend as literals) we do not model.
 *
 * <p>Immutable and thread-safe once built.
 */
final class AliasMatcher {

    /** A group at most this large is checked pattern by pattern; larger ones use the gram filter. */
    private static final int SMALL_GROUP = 8;

    interface Fallback {
        List<IndexValue> searchWild(String query);
    }

    private final String[] values;
    private final long[] priorities;
    private final int[] seq;
    private final Fnmatch[] tails;
    private final int[] tailStart;
    private final Map<String, int[]> exact;
    private final LiteralTrie groups;
    private final GramTable grams;
    private final Fallback fallback;

    /** Builds from entries in trie order (as {@link BinIndexReader#forEach} gives them). */
    static AliasMatcher build(BinIndexReader index) {
        List<String> keys = new ArrayList<>();
        List<IndexValue> vals = new ArrayList<>();
        index.forEach((k, v) -> {
            keys.add(k);
            vals.add(v);
        });
        return new AliasMatcher(keys, vals, index::searchWild);
    }

    AliasMatcher(List<String> keys, List<IndexValue> vals, Fallback fallback) {
        int n = keys.size();
        this.fallback = fallback;
        this.values = new String[n];
        this.priorities = new long[n];
        this.tails = new Fnmatch[n];
        this.tailStart = new int[n];
        int[] firstWild = new int[n];
        int[] ordinal = new int[n];
        for (int e = 0; e < n; e++) {
            String key = keys.get(e);
            values[e] = vals.get(e).value();
            priorities[e] = vals.get(e).priority();
            firstWild[e] = firstWildcard(key);
            ordinal[e] = e > 0 && keys.get(e - 1).equals(key) ? ordinal[e - 1] + 1 : 0;
        }
        this.seq = visitOrder(keys, firstWild, ordinal);

        Map<String, List<Integer>> exactLists = new HashMap<>();
        TreeMap<String, List<Integer>> byLiteral = new TreeMap<>();
        for (int e = 0; e < n; e++) {
            String key = keys.get(e);
            int k = firstWild[e];
            if (k < 0) {
                exactLists.computeIfAbsent(key, x -> new ArrayList<>()).add(e);
            } else {
                tails[e] = Fnmatch.compile(key.substring(k));
                tailStart[e] = k;
                byLiteral.computeIfAbsent(key.substring(0, k), x -> new ArrayList<>()).add(e);
            }
        }
        this.exact = new HashMap<>();
        exactLists.forEach((k, l) -> exact.put(k, toArray(l)));
        this.grams = new GramTable();
        this.groups = new LiteralTrie();
        int groupId = 0;
        for (Map.Entry<String, List<Integer>> g : byLiteral.entrySet()) {
            int[] members = toArray(g.getValue());
            int[] unfiltered = members.length <= SMALL_GROUP ? members
                    : grams.file(groupId, members, e -> keys.get(e).substring(tailStart[e]));
            groups.put(g.getKey(), groupId, unfiltered, members.length > SMALL_GROUP);
            groupId++;
        }
        grams.seal();
    }

    private static int[] toArray(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    static int firstWildcard(String key) {
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '*' || c == '?' || c == '[') {
                return i;
            }
        }
        return -1;
    }

    /** Numbers entries in the order libkmod's walk meets them (see the class comment). */
    private static int[] visitOrder(List<String> keys, int[] firstWild, int[] ordinal) {
        int n = keys.size();
        Integer[] order = new Integer[n];
        for (int e = 0; e < n; e++) {
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> {
            String ka = keys.get(a);
            String kb = keys.get(b);
            int wa = firstWild[a] < 0 ? ka.length() : firstWild[a];
            int wb = firstWild[b] < 0 ? kb.length() : firstWild[b];
            if (wa != wb) {
                return Integer.compare(wa, wb);
            }
            int c = postOrder(ka, kb);
            return c != 0 ? c : Integer.compare(ordinal[a], ordinal[b]);
        });
        int[] seq = new int[n];
        for (int pos = 0; pos < n; pos++) {
            seq[order[pos]] = pos;
        }
        return seq;
    }

    /** Trie post-order: smaller character first at the first difference, a key after its extensions. */
    private static int postOrder(String a, String b) {
        int m = Math.min(a.length(), b.length());
        for (int i = 0; i < m; i++) {
            if (a.charAt(i) != b.charAt(i)) {
                return Character.compare(a.charAt(i), b.charAt(i));
            }
        }
        return Integer.compare(b.length(), a.length());
    }

    /** The values of every stored pattern matching {@code query}, in libkmod's order. */
    List<String> lookup(String query) {
        if (firstWildcard(query) >= 0) {
            List<IndexValue> r = fallback.searchWild(query);
            List<String> out = new ArrayList<>(r.size());
            r.forEach(v -> out.add(v.value()));
            return out;
        }
        Hits hits = new Hits();
        int[] ex = exact.get(query);
        if (ex != null) {
            for (int e : ex) {
                hits.add(e);
            }
        }
        groups.walk(query, (groupId, depth, unfiltered, filtered) -> {
            for (int e : unfiltered) {
                if (tails[e].matches(query, depth)) {
                    hits.add(e);
                }
            }
            if (filtered) {
                grams.candidates(groupId, query, depth, e -> {
                    if (tails[e].matches(query, depth)) {
                        hits.add(e);
                    }
                });
            }
        });
        return hits.result();
    }

    /** Matched entries of one lookup, then sorted into libkmod's order. */
    private final class Hits {
        private int[] ids = new int[8];
        private int size;

        void add(int e) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = e;
        }

        List<String> result() {
            if (size == 0) {
                return List.of();
            }
            // insertion sort: results are small; drop the same entry found twice by the gram filter
            for (int i = 1; i < size; i++) {
                int e = ids[i];
                int j = i - 1;
                while (j >= 0 && before(e, ids[j])) {
                    ids[j + 1] = ids[j];
                    j--;
                }
                ids[j + 1] = e;
            }
            List<String> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                if (i == 0 || ids[i] != ids[i - 1]) {
                    out.add(values[ids[i]]);
                }
            }
            return out;
        }

        private boolean before(int a, int b) {
            if (priorities[a] != priorities[b]) {
                return priorities[a] < priorities[b];
            }
            return seq[a] > seq[b];
        }
    }
}
