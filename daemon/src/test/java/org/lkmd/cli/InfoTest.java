package org.lkmd.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InfoTest {

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
            "loop0, 0", "cpu12, 12", "pci0000:00, 00", "0000:00:01.0, 0", "lo, -", "7, -", "1234, -",
            "a1, -", "ab1, 1", "vda, -", "ttyS0, 0"})
    void sysnumIsTheTrailingDigitsAfterTheFirstCharacter(String sysname, String sysnum) {
        assertEquals(Optional.ofNullable(sysnum), Info.sysnum(sysname));
    }
}
