package org.lkmd.index;

import java.util.Arrays;

/**
 * A character trie over the literal parts of alias patterns (up to the first wildcard), each
 * ending node holding one pattern group. Walking it along a query visits every group whose
 * literal part is a prefix of the query, shortest first. Immutable after building.
 */
final class LiteralTrie {

    interface GroupVisitor {
        void visit(int groupId, int depth, int[] unfiltered, boolean filtered);
    }

    private static final class Node {
        char[] edges = new char[0];
        Node[] kids = new Node[0];
        int groupId = -1;
        int[] unfiltered;
        boolean filtered;

        Node child(char c) {
            int i = Arrays.binarySearch(edges, c);
            return i >= 0 ? kids[i] : null;
        }

        Node childOrAdd(char c) {
            int i = Arrays.binarySearch(edges, c);
            if (i >= 0) {
                return kids[i];
            }
            int at = -i - 1;
            Node n = new Node();
            char[] e = new char[edges.length + 1];
            Node[] k = new Node[kids.length + 1];
            System.arraycopy(edges, 0, e, 0, at);
            System.arraycopy(kids, 0, k, 0, at);
            e[at] = c;
            k[at] = n;
            System.arraycopy(edges, at, e, at + 1, edges.length - at);
            System.arraycopy(kids, at, k, at + 1, kids.length - at);
            edges = e;
            kids = k;
            return n;
        }
    }

    private final Node root = new Node();

    void put(String literal, int groupId, int[] unfiltered, boolean filtered) {
        Node n = root;
        for (int i = 0; i < literal.length(); i++) {
            n = n.childOrAdd(literal.charAt(i));
        }
        n.groupId = groupId;
        n.unfiltered = unfiltered;
        n.filtered = filtered;
    }

    void walk(String query, GroupVisitor visitor) {
        Node n = root;
        int depth = 0;
        while (true) {
            if (n.groupId >= 0) {
                visitor.visit(n.groupId, depth, n.unfiltered, n.filtered);
            }
            if (depth == query.length()) {
                return;
            }
            n = n.child(query.charAt(depth));
            if (n == null) {
                return;
            }
            depth++;
        }
    }
}
