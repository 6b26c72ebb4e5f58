package org.lkmd.rules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Severity;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RulesParserTest {

    private static final String GOOD = "KERNEL==\"sda\", RUN{builtin}+=\"kmod load\"\n";

    /** Each bad line sits on line 2 between two good rules: the error names t.rules:2 and both good rules load. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "unknown key            | KERNAL==\"sda\", RUN+=\"x\"                 | unknown key 'KERNAL'",
            "bad operator ACTION    | ACTION=\"add\", RUN+=\"x\"                  | invalid operator for ACTION",
            "bad operator RUN match | RUN==\"x\"                                 | invalid operator for RUN",
            "bad operator GOTO      | GOTO+=\"end\"                              | invalid operator for GOTO",
            "unterminated quote     | RUN+=\"x\", KERNEL==\"sda                   | unterminated quoted value",
            "quote ends early       | KERNEL==\"sda, RUN+=\"x                    | key 'x' without operator",
            "unquoted value         | KERNEL==sda, RUN+=\"x\"                    | not double-quoted",
            "missing operator       | KERNEL \"sda\"                             | invalid operator",
            "missing brace          | ENV{FOO==\"1\", RUN+=\"x\"                   | missing '}'",
            "attr on KERNEL         | KERNEL{x}==\"sda\", RUN+=\"x\"              | invalid attribute for KERNEL",
            "empty ENV attr         | ENV{}==\"1\", RUN+=\"x\"                     | invalid attribute for ENV",
            "empty ATTR attr        | ATTR{}==\"1\", RUN+=\"x\"                    | invalid attribute for ATTR",
            "RUN bad attr           | RUN{shell}+=\"x\"                          | invalid attribute for RUN",
            "unknown builtin        | RUN{builtin}+=\"modprobe foo\"             | unknown builtin command",
            "ENV cannot be set      | ENV{MODALIAS}=\"x\"                        | ENV{MODALIAS} cannot be set",
            "ENV minus              | ENV{FOO}-=\"x\"                            | invalid operator for ENV",
            "bad TEST mode          | TEST{999}==\"/x\", RUN+=\"x\"                | invalid mode",
            "bad escape             | ENV{FOO}=e\"\\q\"                          | unknown escape",
            "i prefix on assignment | ENV{FOO}=i\"x\"                            | prefix 'i'",
            "OWNER as match         | OWNER==\"root\", RUN+=\"x\"                  | invalid operator for OWNER",
            "IMPORT bad attr        | IMPORT{shell}=\"x\"                         | invalid attribute for IMPORT",
            "CONST bad attr         | CONST{color}==\"x\", RUN+=\"x\"              | invalid attribute for CONST",
    })
    void badLineIsDroppedWithErrorAtItsLine(String name, String line, String message) {
        ParseResult<RuleSet> r = RulesParser.parse("t.rules", GOOD + line + "\n" + GOOD);
        List<Diagnostic> errors = errors(r);
        assertEquals(1, errors.size(), () -> r.diagnostics().toString());
        assertTrue(errors.get(0).toString().startsWith("t.rules:2: "), errors.get(0).toString());
        assertTrue(errors.get(0).message().contains(message), errors.get(0).toString());
        RuleSet set = r.value().orElseThrow();
        assertEquals(List.of(new RuleSource("t.rules", 1), new RuleSource("t.rules", 3)),
                set.rules().stream().map(Rule::source).toList());
    }

    @Test
    void gotoWithoutLabelIsAnErrorAndTheGotoIsDropped() {
        String text = "ACTION!=\"add\", GOTO=\"nowhere\"\nKERNEL==\"x\", GOTO=\"later\", RUN+=\"a\"\nLABEL=\"later\"\n";
        ParseResult<RuleSet> r = RulesParser.parse("g.rules", text);
        List<String> errs = errors(r).stream().map(Diagnostic::toString).toList();
        assertEquals(List.of("g.rules:1: GOTO=\"nowhere\" has no matching LABEL later in the file, GOTO ignored"), errs);
        RuleSet set = r.value().orElseThrow();
        // line 1 had nothing else and is dropped; line 2 keeps its GOTO to line 3
        assertEquals(2, set.size());
        assertEquals(1, set.rules().get(0).gotoTarget());
        assertFalse(set.rules().get(1).applies());
    }

    @Test
    void labelInAnotherFileDoesNotSatisfyGoto() {
        RulesParser p = new RulesParser();
        p.add("a.rules", "GOTO=\"end\"\n");
        p.add("b.rules", "LABEL=\"end\"\n");
        ParseResult<RuleSet> r = p.finish();
        assertEquals(1, errors(r).size());
        assertEquals("a.rules", errors(r).get(0).file());
    }

    @Test
    void continuationJoinsLinesAndReportsTheLastLine() {
        String text = "# comment\n\nKERNEL==\"sda\", \\\n   # a comment inside is skipped\n    RUN+=\"one\"\n";
        ParseResult<RuleSet> r = RulesParser.parse("c.rules", text);
        assertEquals(List.of(), r.diagnostics());
        Rule rule = r.value().orElseThrow().rules().get(0);
        assertEquals(new RuleSource("c.rules", 5), rule.source());
        assertEquals("one", rule.actions().get(0).value());
    }

    @Test
    void continuationAtEndOfFileIsAnError() {
        ParseResult<RuleSet> r = RulesParser.parse("e.rules", GOOD + "KERNEL==\"x\", \\\n");
        assertEquals("e.rules:2: unexpected end of file after line continuation, line ignored", errors(r).get(0).toString());
        assertEquals(1, r.value().orElseThrow().size());
    }

    @Test
    void overlongPhysicalLineDropsTheWholeFileAsUdevDoes() {
        String longLine = "ENV{X}=\"" + "a".repeat(RulesParser.LINE_MAX) + "\"\n";
        ParseResult<RuleSet> r = RulesParser.parse("l.rules", GOOD + longLine);
        assertEquals(0, r.value().orElseThrow().size());
        assertTrue(errors(r).get(0).toString().startsWith("l.rules:2: line longer than"));
    }

    @Test
    void overlongJoinedLineDropsOnlyThatLine() {
        String half = "ENV{X}=\"" + "a".repeat(RulesParser.LINE_MAX - 100) + "\\\n";
        String text = half + "b".repeat(200) + "\"\n" + GOOD;
        ParseResult<RuleSet> r = RulesParser.parse("j.rules", text);
        assertEquals("j.rules:2: line too long, ignored", errors(r).get(0).toString());
        assertEquals(1, r.value().orElseThrow().size());
    }

    @Test
    void ignoredKeysWarnOncePerKeyForTheWholeSet() {
        RulesParser p = new RulesParser();
        p.add("a.rules", "KERNEL==\"a\", SYMLINK+=\"x\"\nKERNEL==\"b\", SYMLINK+=\"y\", MODE=\"0600\"\n");
        p.add("b.rules", "KERNEL==\"c\", SYMLINK+=\"z\"\n");
        ParseResult<RuleSet> r = p.finish();
        assertFalse(r.hasErrors());
        List<String> warnings = r.diagnostics().stream().map(Diagnostic::toString).toList();
        assertEquals(List.of("a.rules:1: SYMLINK is not used by lkmd, ignored (3 times in this rule set)",
                "a.rules:2: MODE is not used by lkmd, ignored (1 time in this rule set)"), warnings);
        assertEquals(3, r.value().orElseThrow().ignoredKeys().get("SYMLINK"));
    }

    @Test
    void valuesUnescapeAsUdevDoes() {
        ParseResult<RuleSet> r = RulesParser.parse("v.rules",
                "ENV{A}=\"say \\\"hi\\\" \\n\", ENV{B}=e\"tab\\there\\x41\", ENV{C}=\"a\\tb\"\n");
        List<Action> a = r.value().orElseThrow().rules().get(0).actions();
        assertEquals("say \"hi\" \\n", a.get(0).value());
        assertEquals("tab\thereA", a.get(1).value());
        assertEquals("a\\tb", a.get(2).value());
    }

    @Test
    void conditionsAreSortedIntoUdevOrderAndQuestionStarMeansNonEmpty() {
        ParseResult<RuleSet> r = RulesParser.parse("o.rules",
                "ATTRS{x}==\"1\", ENV{MODALIAS}==\"?*\", ACTION==\"add\", RUN+=\"p\", RUN{builtin}+=\"kmod load\"\n");
        Rule rule = r.value().orElseThrow().rules().get(0);
        assertEquals(List.of(Match.Key.ACTION, Match.Key.ENV, Match.Key.ATTRS),
                rule.matches().stream().map(Match::key).toList());
        assertEquals(Operator.NOMATCH, rule.matches().get(1).op());
        assertEquals(List.of(Action.Type.RUN_BUILTIN, Action.Type.RUN_PROGRAM),
                rule.actions().stream().map(Action::type).toList());
    }

    @Test
    void lineWithOnlyConditionsIsDroppedWithWarning() {
        ParseResult<RuleSet> r = RulesParser.parse("w.rules", "KERNEL==\"sda\"\n");
        assertEquals(Severity.WARNING, r.diagnostics().get(0).severity());
        assertEquals(0, r.value().orElseThrow().size());
    }

    @Test
    void unsupportedOptionsAndBuiltinsWarnAndAreIgnored() {
        ParseResult<RuleSet> r = RulesParser.parse("x.rules",
                "KERNEL==\"a\", OPTIONS+=\"watch\", RUN{builtin}+=\"uaccess\"\nKERNEL==\"b\", OPTIONS=\"bogus\", RUN+=\"x\"\n");
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        assertEquals(2, r.value().orElseThrow().size());
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.toString().startsWith("x.rules:2: invalid value for OPTIONS")));
        assertEquals(1, r.value().orElseThrow().ignoredKeys().get("OPTIONS=\"watch\""));
    }

    @Test
    void alternativesAndGlobsFollowUdev() {
        Pattern p = Pattern.compile("sd*|vd[a-c]", true, false, false);
        assertTrue(p.matches("sda"));
        assertTrue(p.matches("vdb"));
        assertFalse(p.matches("vdd"));
        assertFalse(p.matches(""));
        Pattern withEmpty = Pattern.compile("|foo", true, false, false);
        assertTrue(withEmpty.matches(null));
        assertTrue(withEmpty.matches("foo"));
        assertFalse(withEmpty.matches("bar"));
        assertTrue(Pattern.compile("class", true, true, false).matches("bus"));
        assertTrue(Pattern.compile("USB", true, false, true).matches("usb"));
    }

    @Test
    void commandLineSplitsWithoutShell() {
        assertEquals(List.of("kmod", "load", "a b", "c'd", "e\\f"), CommandLine.split("  kmod load \"a b\" \"c'd\" e\\f "));
        assertEquals(List.of("ab cd"), CommandLine.split("a\"b c\"d"));
        assertEquals(List.of("x", "unterminated rest"), CommandLine.split("x 'unterminated rest"));
    }

    private static List<Diagnostic> errors(ParseResult<RuleSet> r) {
        return r.diagnostics().stream().filter(d -> d.severity() == Severity.ERROR).toList();
    }
}
