package org.lkmd.rules;

import java.util.List;
import java.util.Optional;

/**
 * udev's {@code $name{arg}} / {@code %c{arg}} substitutions. The table (long form, short form):
 * {@code $devnode %N} ({@code $tempnode}), {@code $attr{f} %s{f}} ({@code $sysfs}),
 * {@code $env{K} %E{K}}, {@code $kernel %k}, {@code $number %n}, {@code $driver %d},
 * {@code $devpath %p}, {@code $id %b}, {@code $major %M}, {@code $minor %m},
 * {@code $result %c} (with {@code {N}} or {@code {N+}} for words of it), {@code $parent %P},
 * {@code $name %D}, {@code $links %L} (always empty here: lkmd makes no links), {@code $root %r},
 * {@code $sys %S}, {@code $$}, {@code %%}. Long names are recognised by prefix, in table order,
 * as udev does; an unknown {@code $x} or {@code %x} is copied literally.
 */
final class Substitutions {
    /** udev's UDEV_LINE_SIZE: longer expansions are refused. */
    static final int MAX_LENGTH = 16 * 1024;
    /** Characters kept in {@code $attr} values and PROGRAM output besides the always-safe set. */
    static final String ALLOWED_INPUT = "/ $%?,";

    enum Type { DEVNODE, ATTR, ENV, KERNEL, NUMBER, DRIVER, DEVPATH, ID, MAJOR, MINOR, RESULT, PARENT, NAME, LINKS, ROOT, SYS }

    private record Entry(String name, char fmt, Type type) {
    }

    private static final List<Entry> TABLE = List.of(
            new Entry("devnode", 'N', Type.DEVNODE), new Entry("tempnode", 'N', Type.DEVNODE),
            new Entry("attr", 's', Type.ATTR), new Entry("sysfs", 's', Type.ATTR),
            new Entry("env", 'E', Type.ENV), new Entry("kernel", 'k', Type.KERNEL),
            new Entry("number", 'n', Type.NUMBER), new Entry("driver", 'd', Type.DRIVER),
            new Entry("devpath", 'p', Type.DEVPATH), new Entry("id", 'b', Type.ID),
            new Entry("major", 'M', Type.MAJOR), new Entry("minor", 'm', Type.MINOR),
            new Entry("result", 'c', Type.RESULT), new Entry("parent", 'P', Type.PARENT),
            new Entry("name", 'D', Type.NAME), new Entry("links", 'L', Type.LINKS),
            new Entry("root", 'r', Type.ROOT), new Entry("sys", 'S', Type.SYS));

    /** A substitution found at some position: its type, its {@code {arg}} (or null) and where it ends. */
    private record Found(Type type, String arg, int end) {
    }

    /** Thrown for {@code $env}/{@code $attr} without an argument, or an unclosed or empty {@code {}}. */
    static final class FormatException extends Exception {
        final int offset;

        FormatException(int offset, String message) {
            super(message);
            this.offset = offset;
        }
    }

    private Substitutions() {
    }

    /**
     * Checks a value the way udev does when it loads rules: returns null when fine, else a
     * message with the 1-based offset of the problem. Unknown {@code $x}/{@code %x} is a problem
     * here (udev wants {@code $$}/{@code %%} for literal ones), though expansion copies it.
     */
    static String check(String value) {
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '$' && c != '%') {
                i++;
                continue;
            }
            if (i + 1 < value.length() && value.charAt(i + 1) == c) {
                i += 2;
                continue;
            }
            Found f;
            try {
                f = find(value, i);
            } catch (FormatException e) {
                return "char " + (e.offset + 1) + ": " + e.getMessage();
            }
            if (f == null) {
                return "char " + (i + 2) + ": invalid substitution type";
            }
            if ((f.type == Type.ATTR || f.type == Type.ENV) && f.arg == null) {
                return "char " + (f.end + 1) + ": attribute value missing";
            }
            if (f.type == Type.RESULT && f.arg != null && !f.arg.matches("[0-9]+\\+?")) {
                return "char " + (f.end + 1) + ": attribute value not a valid number";
            }
            i = f.end;
        }
        return null;
    }

    /** True when the value contains a substitution character at all. */
    static boolean hasFormat(String value) {
        return value.indexOf('$') >= 0 || value.indexOf('%') >= 0;
    }

    /**
     * Expands {@code format} for the event. Returns null when the result would be longer than
     * {@link #MAX_LENGTH} (udev then fails a match or refuses an assignment). A malformed
     * substitution ends the expansion there, keeping what was expanded, as udev does.
     */
    static String expand(String format, EventState st) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if ((c == '$' || c == '%') && i + 1 < format.length() && format.charAt(i + 1) == c) {
                out.append(c);
                i += 2;
            } else if (c == '$' || c == '%') {
                Found f;
                try {
                    f = find(format, i);
                } catch (FormatException e) {
                    break;
                }
                if (f == null) {
                    out.append(c);
                    i++;
                } else {
                    String v = value(f.type, f.arg, st);
                    if (v == null) {
                        break;
                    }
                    out.append(v);
                    i = f.end;
                }
            } else {
                out.append(c);
                i++;
            }
            if (out.length() > MAX_LENGTH) {
                return null;
            }
        }
        return out.length() > MAX_LENGTH ? null : out.toString();
    }

    private static Found find(String s, int at) throws FormatException {
        char c = s.charAt(at);
        int p = at + 1;
        Type type = null;
        if (c == '$') {
            for (Entry e : TABLE) {
                if (s.startsWith(e.name, p)) {
                    type = e.type;
                    p += e.name.length();
                    break;
                }
            }
        } else if (p < s.length()) {
            for (Entry e : TABLE) {
                if (s.charAt(p) == e.fmt) {
                    type = e.type;
                    p++;
                    break;
                }
            }
        }
        if (type == null) {
            return null;
        }
        String arg = null;
        if (p < s.length() && s.charAt(p) == '{') {
            int close = s.indexOf('}', p + 1);
            if (close < 0) {
                throw new FormatException(p, "unterminated '{'");
            }
            if (close == p + 1) {
                throw new FormatException(p, "empty '{}'");
            }
            arg = s.substring(p + 1, close);
            p = close + 1;
        }
        return new Found(type, arg, p);
    }

    /** One substitution's text; null for a malformed one (which stops the expansion). */
    private static String value(Type type, String arg, EventState st) {
        Device dev = st.device;
        switch (type) {
            case DEVPATH:
                return st.event.devpath();
            case KERNEL:
                return dev.sysname();
            case NUMBER:
                return sysnum(dev.sysname());
            case ID:
                return st.parent == null ? "" : st.parent.sysname();
            case DRIVER:
                return st.parent == null ? "" : st.parent.driver().orElse("");
            case MAJOR:
                return number(st.env.get("MAJOR"));
            case MINOR:
                return number(st.env.get("MINOR"));
            case RESULT:
                return result(st.result, arg);
            case ATTR: {
                if (arg == null) {
                    return null;
                }
                Optional<String> v = Optional.empty();
                if (arg.startsWith("[")) {
                    v = SubsystemRef.attribute(st.root, arg);
                }
                if (v.isEmpty()) {
                    v = dev.attribute(arg);
                }
                if (v.isEmpty() && st.parent != null && st.parent != dev) {
                    v = st.parent.attribute(arg);
                }
                return v.map(s -> replaceChars(stripTrailingWhitespace(s), ALLOWED_INPUT)).orElse("");
            }
            case PARENT: {
                String name = dev.parent().flatMap(p -> p.attribute("uevent")).map(u -> ueventValue(u, "DEVNAME")).orElse(null);
                return name == null ? "" : (name.startsWith("/dev/") ? name.substring(5) : name);
            }
            case DEVNODE: {
                String name = st.env.get("DEVNAME");
                return name == null ? "" : (name.startsWith("/") ? name : "/dev/" + name);
            }
            case NAME: {
                String name = st.env.get("DEVNAME");
                if (name == null) {
                    return dev.sysname();
                }
                return name.startsWith("/dev/") ? name.substring(5) : name;
            }
            case LINKS:
                return "";
            case ROOT:
                return "/dev";
            case SYS:
                return "/sys";
            case ENV: {
                if (arg == null) {
                    return null;
                }
                String v = st.env.get(arg);
                return v == null ? "" : v;
            }
            default:
                throw new IllegalStateException(type.toString());
        }
    }

    private static String result(String result, String arg) {
        if (result == null) {
            return "";
        }
        if (arg == null) {
            return result;
        }
        boolean plus = arg.endsWith("+");
        String digits = plus ? arg.substring(0, arg.length() - 1) : arg;
        int index;
        try {
            index = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return null;
        }
        if (index == 0) {
            return result;
        }
        int p = skipSpace(result, 0);
        for (int i = 1; i < index; i++) {
            while (p < result.length() && !RuleLineLexer.isSpace(result.charAt(p))) {
                p++;
            }
            p = skipSpace(result, p);
            if (p >= result.length()) {
                return "";
            }
        }
        if (plus) {
            return result.substring(p);
        }
        int end = p;
        while (end < result.length() && !RuleLineLexer.isSpace(result.charAt(end))) {
            end++;
        }
        return result.substring(p, end);
    }

    private static int skipSpace(String s, int p) {
        while (p < s.length() && RuleLineLexer.isSpace(s.charAt(p))) {
            p++;
        }
        return p;
    }

    private static String number(String s) {
        return s != null && s.matches("[0-9]+") ? s : "0";
    }

    /** The trailing digits of a kernel name ({@code sda3} has 3), or empty. */
    static String sysnum(String sysname) {
        int i = sysname.length();
        while (i > 0 && Character.isDigit(sysname.charAt(i - 1))) {
            i--;
        }
        return i > 0 && i < sysname.length() ? sysname.substring(i) : "";
    }

    private static String ueventValue(String uevent, String key) {
        for (String line : uevent.split("\n")) {
            if (line.startsWith(key + "=")) {
                return line.substring(key.length() + 1);
            }
        }
        return null;
    }

    static String stripTrailingWhitespace(String s) {
        int end = s.length();
        while (end > 0 && RuleLineLexer.isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * udev's character replacement: letters, digits, {@code #+-.:=@_}, the {@code allow}ed
     * characters, {@code \x} escapes and valid UTF-8 sequences stay; whitespace becomes a space
     * when a space is allowed; anything else becomes {@code _}.
     */
    static String replaceChars(String s, String allow) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if ((c < 128 && Character.isLetterOrDigit(c)) || "#+-.:=@_".indexOf(c) >= 0
                    || (allow != null && allow.indexOf(c) >= 0)) {
                out.append(c);
                i++;
            } else if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == 'x') {
                out.append("\\x");
                i += 2;
            } else {
                int len = utf8Length(s, i);
                if (len > 1) {
                    out.append(s, i, i + len);
                    i += len;
                } else if (RuleLineLexer.isSpace(c) && allow != null && allow.indexOf(' ') >= 0) {
                    out.append(' ');
                    i++;
                } else {
                    out.append('_');
                    i++;
                }
            }
        }
        return out.toString();
    }

    /** Length of a valid multi-byte UTF-8 sequence at {@code i} (bytes held as chars), else 0. */
    private static int utf8Length(String s, int i) {
        int b = s.charAt(i);
        int len;
        int cp;
        if (b >= 0xC0 && b <= 0xDF) {
            len = 2;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF7) {
            len = 4;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (i + len > s.length()) {
            return 0;
        }
        for (int k = 1; k < len; k++) {
            int cb = s.charAt(i + k);
            if ((cb & 0xC0) != 0x80 || cb > 0xFF) {
                return 0;
            }
            cp = (cp << 6) | (cb & 0x3F);
        }
        int minimal = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        boolean valid = cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        return valid && minimal == len ? len : 0;
    }
}
