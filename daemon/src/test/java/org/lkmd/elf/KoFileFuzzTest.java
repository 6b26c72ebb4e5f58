package org.lkmd.elf;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any bytes read as an (uncompressed) module either give answers or raise {@link KoFileException},
 * the documented "not a module as kmod would read it" error; nothing else escapes. Each accessor is
 * tried on its own, as depmod and modinfo ask for them separately. Seeds: three small Debian
 * modules (signed, with aliases, exports, dependencies and __versions).
 */
class KoFileFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void readEveryModule(byte[] image) throws KoFileException {
        KoFile ko;
        try {
            ko = KoFile.parse("fuzz.ko", image);
        } catch (KoFileException e) {
            return;
        }
        try {
            ModInfo info = ko.modInfo();
            info.vermagic();
            info.all("alias");
        } catch (KoFileException e) {
            // missing or out-of-range .modinfo
        }
        try {
            ko.exportedSymbols();
        } catch (KoFileException e) {
            // out-of-range symbol table
        }
        try {
            // CRC words are read at offsets the symbols choose
            ko.exports();
        } catch (KoFileException e) {
            // no exports
        }
        try {
            ko.versions();
        } catch (KoFileException e) {
            // out-of-range __versions
        }
        try {
            ko.dependencySymbols();
        } catch (KoFileException e) {
            // out-of-range symbol or string table
        }
        try {
            ko.signature();
        } catch (KoFileException e) {
            // trailer that does not fit the file
        }
        ko.hasSection(".modinfo");
    }
}
