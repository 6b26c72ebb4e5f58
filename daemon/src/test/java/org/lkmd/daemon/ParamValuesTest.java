package org.lkmd.daemon;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lkmd.kernel.ParamArgs;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** modprobe.d values against what sysfs shows, as the kernel prints each kind of parameter. */
class ParamValuesTest {
    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            // bools: kstrtobool's spellings, shown as Y/N
            "y|Y|true", "1|Y|true", "on|Y|true", "true|Y|true", "Y|Y|true", "n|N|true", "0|N|true",
            "off|N|true", "false|N|true", "y|N|false", "0|Y|false",
            // bint params show 1/0
            "Y|1|true", "n|0|true",
            // integers in any base
            "0x10|16|true", "020|16|true", "-2|-2|true", "16|0x10|true", "-1|1|false", "3|4|false",
            // arrays: an array without a count shows all its elements
            "1|1,-1,-1,-1|true", "1,2|1,2,-1|true", "1,,3|1,5,3|true", "1,2|1,3|false", "1,2,3|1,2|false",
            "Y,n|Y,N,N|true",
            // strings, case aside; a bool-looking string is still a string
            "auto|auto|true", "Auto|auto|true", "yes|yesterday|false", "a b|a b|true", "abc|abd|false",
    })
    void writtenAndShown(String written, String live, boolean same) {
        assertEquals(same, ParamValues.same(written, live));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"Y|true", "1|true", "N|false", "auto|true"})
    void aBareFlagIsTrue(String live, boolean same) {
        assertEquals(same, ParamValues.same(null, live));
    }

    @org.junit.jupiter.api.Test
    void optionsSplitAsParseArgsDoesAndTheLastAssignmentWins() {
        Map<String, String> want = new LinkedHashMap<>();
        want.put("model", "a b");
        want.put("enable_msi", "1");
        want.put("flag", null);
        want.put("index", "2");
        assertEquals(want, ParamArgs.parse("index=1  model=\"a b\"\tenable-msi=1 flag index=2"));
    }
}
