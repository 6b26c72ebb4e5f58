package org.lkmd.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command the way udev splits PROGRAM, RUN{program} and builtin arguments (systemd's
 * {@code extract_first_word} with UNQUOTE, RELAX and RETAIN_ESCAPE): words are separated by
 * whitespace; single and double quotes group (they are removed, and may start or stop anywhere
 * in a word); a backslash is an ordinary character (it does not protect a quote); a quote left
 * open runs to the end. No shell is involved.
 */
public final class CommandLine {
    private CommandLine() {
    }

    /** The words of {@code command}; empty for a blank command. */
    public static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        int n = command.length();
        int i = 0;
        while (true) {
            while (i < n && RuleLineLexer.isSpace(command.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return words;
            }
            StringBuilder w = new StringBuilder();
            char quote = 0;
            for (; i < n; i++) {
                char c = command.charAt(i);
                if (quote != 0) {
                    if (c == quote) {
                        quote = 0;
                    } else {
                        w.append(c);
                    }
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (RuleLineLexer.isSpace(c)) {
                    break;
                } else {
                    w.append(c);
                }
            }
            words.add(w.toString());
        }
    }
}
