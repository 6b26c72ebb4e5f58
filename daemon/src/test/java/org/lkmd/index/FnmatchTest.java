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
        "pci:v00008086d*|pci:v00008086d00001502|true",
        "pci:v00008086d*|pci:v00008087d0|false",
        "[!x]b|ab|true",
        "[a-c]z|dz|false",
    })
    void matchesLikeGlibc(String pattern, String string, boolean expected) {
        assertEquals(expected, Fnmatch.fnmatch(pattern, string));
        assertEquals(expected, Fnmatch.compile(pattern).matches("xx" + string, 2));
    }

    /**
     * Where modinfo's former private glob and this class answered differently (so modinfo and
     * modprobe could resolve one alias to different modules); each case is checked against glibc
     * too, so the table cannot drift from the oracle.
     */
    @ParameterizedTest(name = "fnmatch(\"{0}\", \"{1}\") = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // a backslash quotes the next character; it is not itself matched
        "a\\*b|a*b|true",
        "a\\*b|a\\*b|false",
        "a\\*b|axb|false",
        "\\?|?|true",
        "\\?|\\?|false",
        "\\-|-|true",
        "\\\\|\\|true",
        // a trailing backslash never matches, not even a backslash
        "\\|\\|false",
        "a*\\|ab\\|false",
        // POSIX classes inside brackets
        "[[:digit:]]|5|true",
        "[[:digit:]]|:|false",
        "[[:digit:]]|d|false",
        // a ']' right after '[!' or '[^' is a member, not the end
        "[!]]|x|true",
        "[!]]|]|false",
        "[^]]|x|true",
        // ... so "[!]" and "[^]" never close: they match a literal "[!]" / "[^]"
        "[!]|b|false",
        "[!]|[!]|true",
        "[^]|[^]|true",
        // equivalence classes and collating symbols name one character
        "[[=a=]]|a|true",
        "[[=a=]|[|false",
        "[[.a.]]|a|true",
        "[[.a.]|a|false",
    })
    void casesTheOldModinfoGlobGotWrong(String pattern, String string, boolean expected) {
        assertEquals(expected, Fnmatch.fnmatch(pattern, string));
        LibC libc = Native.load("c", LibC.class);
        Pointer old = libc.uselocale(libc.newlocale(8127, "C", Pointer.NULL));
        try {
            assertEquals(expected, libc.fnmatch(pattern, string, 0) == 0, "glibc");
        } finally {
            libc.uselocale(old);
        }
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
