package org.lkmd.elf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code .modinfo} records of a module ({@code key=value}, NUL-separated, in section order),
 * as libkmod lists them: runs of NULs are skipped, a record without {@code '='} has a null value.
 */
public final class ModInfo {
    /** One record. {@code value} is null when the record has no {@code '='}. */
    public record Entry(String key, String value) {
    }

    private final List<Entry> entries;

    public ModInfo(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Parses the raw section bytes. */
    public static ModInfo parse(byte[] section) {
        return new ModInfo(entries(KoStrings.split(section, 0, section.length)));
    }

    /** Records from the section's strings. */
    static List<Entry> entries(List<String> strings) {
        List<Entry> out = new ArrayList<>(strings.size());
        for (String s : strings) {
            int eq = s.indexOf('=');
            out.add(eq < 0 ? new Entry(s, null) : new Entry(s.substring(0, eq), s.substring(eq + 1)));
        }
        return out;
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** All values of a key, in section order. */
    public List<String> all(String key) {
        List<String> r = new ArrayList<>();
        for (Entry e : entries) {
            if (e.key().equals(key) && e.value() != null) {
                r.add(e.value());
            }
        }
        return r;
    }

    /** The first value of a key, or null. */
    public String first(String key) {
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                return e.value();
            }
        }
        return null;
    }

    /** {@code vermagic}, or null. */
    public String vermagic() {
        return first("vermagic");
    }
}
