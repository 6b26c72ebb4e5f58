package org.lkmd.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FnmatchTest {

    @ParameterizedTest(name = "fnmatch(\"{0}\", \"{1}\") = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "abc|abc|true",
        "abc|abd|false",
        "a*|a|true",
        "a*c|abbbc|true",
        "a*c|abbbd|false",
        "*|''|true",
        "''|''|true",
        "?|''|false",
        "a?c|abc|true",
        "*/*|a/b|true",
        "*|.hidden|true",
        "pci:v*d*sv*|pci:v00008086d00001234sv0|true",
        "[abc]|b|true",
        "[abc]|d|false",
        "[a-c]x|bx|true",
        "[!a-c]|d|true",
        "[!a-c]|b|false",
        "[^a-c]|d|true",
        "[]]|]|true",
        "[]a]|a|true",
        "[!]]|a|true",
        "[!]]|]|false",
        "[a-]|-|true",
        "[[:alpha:]]|q|true",
        "[[:alpha:]]|1|false",
        "[[:digit:][:upper:]]|Q|true",
        "[[:xdigit:]]|g|false",
        "[[:foo:]]|f|false",
        "\\*|*|true",
        "\\*|a|false",
        "a\\|a\\|false",
        "[|[|true",
        "[ab|[ab|true",
        "[ab|a|false",
        "[\\]]|]|true",
        "[z-a]|m|false",
        "[=a=]|a|true",
        "[.a.]|a|true",
        "*[0-9]|abc7|true",
        "usb:v*p*d*dc*dsc*dp*ic03isc*ip*in*|usb:v046Dp0001d0000dc00dsc00dp00ic03isc01ip01in00|true",
    })
    void matchesLikeGlibc(String pattern, String string, boolean expected) {
        assertEquals(expected, Fnmatch.fnmatch(pattern, string));
        assertEquals(expected, Fnmatch.compile(pattern).matches("xx" + string, 2));
    }

    interface LibC extends Library {
        int fnmatch(String pattern, String string, int flags);

        Pointer newlocale(int mask, String locale, Pointer base);

        Pointer uselocale(Pointer loc);
    }

    @Test
    void agreesWithGlibcOnRandomPatterns() {
        LibC libc = Native.load("c", LibC.class);
        // LC_ALL_MASK on glibc: the C locale, as modprobe runs (it never calls setlocale)
        Pointer c = libc.newlocale(8127, "C", Pointer.NULL);
        Pointer old = libc.uselocale(c);
        try {
            String[] atoms = {"a", "b", "z", "-", "]", "[", "!", "^", "*", "?", "\\", ":", ".", "=",
                "[:alpha:]", "[:digit:]", "[:foo:]", "[=a=]", "[.a.]", "[.ab.]", "A", "0", "9"};
            String subjects = "abz-][!^*?\\:.=A09";
            Random rnd = new Random(42);
            for (int n = 0; n < 60_000; n++) {
                StringBuilder p = new StringBuilder();
                for (int k = rnd.nextInt(7); k >= 0; k--) {
                    p.append(atoms[rnd.nextInt(atoms.length)]);
                }
                StringBuilder s = new StringBuilder();
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    s.append(subjects.charAt(rnd.nextInt(subjects.length())));
                }
                boolean glibc = libc.fnmatch(p.toString(), s.toString(), 0) == 0;
                assertEquals(glibc, Fnmatch.fnmatch(p.toString(), s.toString()),
                        () -> "fnmatch(\"" + p + "\", \"" + s + "\")");
            }
        } finally {
            libc.uselocale(old);
        }
    }
}
