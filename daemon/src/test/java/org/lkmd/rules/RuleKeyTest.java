package org.lkmd.rules;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RuleKeyTest {

    @ParameterizedTest
    @CsvSource({"ACTION, MATCH", "ATTRS, MATCH", "ENV, BOTH", "ATTR, BOTH", "PROGRAM, BOTH", "RUN, ASSIGN",
            "GOTO, ASSIGN", "OPTIONS, ASSIGN", "TAG, BOTH", "OWNER, ASSIGN"})
    void keyKindFollowsItsOperators(String key, RuleKey.Kind kind) {
        assertEquals(kind, RuleKey.of(key).kind());
    }

    @Test
    void unknownKeyHasNoEntry() {
        assertNull(RuleKey.of("SYSFS"));
    }

    @Test
    void runChecksOperatorThenValueThenVariantAsUdevDoes() {
        List<String> warnings = new ArrayList<>();
        RuleKey run = RuleKey.of("RUN");
        assertEquals("invalid operator for RUN", run.check("nope", Operator.MATCH, "", false, warnings::add).error());
        assertEquals(List.of(), warnings);
        assertEquals("invalid attribute for RUN", run.check("nope", Operator.ADD, "", false, warnings::add).error());
        assertEquals(List.of("invalid value \"\" for RUN (empty value)"), warnings);
    }

    @Test
    void replacedOperatorWarnsInUdevsWordsAndBecomesAssign() {
        List<String> warnings = new ArrayList<>();
        RuleKey.Checked c = RuleKey.of("TAG").check(null, Operator.ASSIGN_FINAL, "t", false, warnings::add);
        assertEquals(Operator.ASSIGN, c.op());
        assertEquals(List.of("TAG key takes '==', '!=', '=', or '+=' operator, assuming '='"), warnings);
    }

    @Test
    void envCannotSetKernelPropertiesButMayMatchThem() {
        RuleKey env = RuleKey.of("ENV");
        assertEquals("ENV{MODALIAS} cannot be set", env.check("MODALIAS", Operator.ASSIGN, "x", false, w -> { }).error());
        assertEquals("ENV{SYNTH_ARG_A} cannot be set", env.check("SYNTH_ARG_A", Operator.ADD, "x", false, w -> { }).error());
        assertNull(env.check("MODALIAS", Operator.MATCH, "x", false, w -> { }).error());
    }

    @Test
    void testModeMustBeOctal() {
        assertEquals("invalid mode '9' for TEST", RuleKey.of("TEST").check("9", Operator.MATCH, "f", false, w -> { }).error());
        assertEquals("invalid prefix 'i' for TEST", RuleKey.of("TEST").check("0644", Operator.MATCH, "f", true, w -> { }).error());
    }
}
