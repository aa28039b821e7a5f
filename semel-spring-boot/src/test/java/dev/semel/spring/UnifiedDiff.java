package dev.semel.spring;

import java.util.ArrayList;
import java.util.List;

/** A unified diff (three lines of context) of two line lists, for test failure messages. */
final class UnifiedDiff {
    private static final int CONTEXT = 3;

    private UnifiedDiff() {
    }

    static String of(List<String> a, List<String> b, String aName, String bName) {
        // longest common subsequence, then walk it into an edit script
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<Edit> edits = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                edits.add(new Edit(' ', a.get(i), i++, j++));
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                edits.add(new Edit('-', a.get(i), i++, j));
            } else {
                edits.add(new Edit('+', b.get(j), i, j++));
            }
        }
        StringBuilder out = new StringBuilder("--- ").append(aName).append("\n+++ ").append(bName).append('\n');
        List<Integer> changes = new ArrayList<>();
        for (int e = 0; e < edits.size(); e++) {
            if (edits.get(e).op() != ' ') {
                changes.add(e);
            }
        }
        int c = 0;
        while (c < changes.size()) {
            // one hunk: changes less than twice the context apart, with the context around them
            int last = c;
            while (last + 1 < changes.size() && changes.get(last + 1) - changes.get(last) <= 2 * CONTEXT) {
                last++;
            }
            int start = Math.max(0, changes.get(c) - CONTEXT);
            int end = Math.min(edits.size(), changes.get(last) + CONTEXT + 1);
            int aCount = 0;
            int bCount = 0;
            for (int e = start; e < end; e++) {
                aCount += edits.get(e).op() != '+' ? 1 : 0;
                bCount += edits.get(e).op() != '-' ? 1 : 0;
            }
            Edit first = edits.get(start);
            out.append("@@ -").append(first.aLine() + 1).append(',').append(aCount)
                    .append(" +").append(first.bLine() + 1).append(',').append(bCount).append(" @@\n");
            for (int e = start; e < end; e++) {
                out.append(edits.get(e).op()).append(edits.get(e).text()).append('\n');
            }
            c = last + 1;
        }
        return out.toString();
    }

    private record Edit(char op, String text, int aLine, int bLine) {
    }
}
