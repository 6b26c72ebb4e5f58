package org.lkmd.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;

/**
 * Any rules file gives a rule set plus diagnostics, never an exception. Bytes are decoded as
 * {@link RulesLoader} decodes a file (ISO-8859-1). Seeds: udev's and lkmd's shipped rules files.
 */
class RulesParserFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void parseEveryRulesText(byte[] file) {
        String text = new String(file, StandardCharsets.ISO_8859_1);
        ParseResult<RuleSet> r = RulesParser.parse("fuzz.rules", text);
        assertTrue(r.value().isPresent(), "a rules file always gives a rule set");
        long lines = text.chars().filter(c -> c == '\n').count() + 1;
        for (Diagnostic d : r.diagnostics()) {
            assertEquals("fuzz.rules", d.file(), d.toString());
            assertTrue(d.line() >= 0 && d.line() <= lines, "line out of range: " + d);
        }
    }
}
