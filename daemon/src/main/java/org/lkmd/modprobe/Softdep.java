package org.lkmd.modprobe;

import java.util.List;

/** A {@code softdep NAME pre: ... post: ...} line: NAME may be a glob; the lists are lookup names. */
public record Softdep(String pattern, List<String> pre, List<String> post) {
    public Softdep {
        pre = List.copyOf(pre);
        post = List.copyOf(post);
    }

    /** The value part as {@code modprobe -c} prints it: {@code pre: a b post: c}. */
    public String plain() {
        StringBuilder sb = new StringBuilder();
        if (!pre.isEmpty()) {
            sb.append("pre:");
            pre.forEach(p -> sb.append(' ').append(p));
        }
        if (!post.isEmpty()) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append("post:");
            post.forEach(p -> sb.append(' ').append(p));
        }
        return sb.toString();
    }
}
