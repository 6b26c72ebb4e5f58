package com.moandjiezana.toml;

import java.util.Map;

/**
 * lkmd's narrow entry to toml4j: its parser's result as plain maps (a table is a {@code Map}, an
 * array a {@code List}, integers {@code Long}), as {@code new Toml().read(text).toMap()} gives it,
 * without class {@code Toml}, whose static {@code Gson} loads about 100 classes of a JSON library at
 * every daemon start, before the first module load, for a feature (binding to objects) lkmd does
 * not use. It sits in toml4j's package because the parser is package-private there; the pom pins
 * the toml4j version these two calls are checked against ({@code DaemonConfigParserTest}).
 */
public final class TomlTables {
    private TomlTables() {
    }

    /** @throws IllegalStateException with toml4j's message (which names the line) when the text is not TOML */
    public static Map<String, Object> parse(String text) {
        Results results = TomlParser.run(text);
        if (results.errors.hasErrors()) {
            throw new IllegalStateException(results.errors.toString());
        }
        return results.consume();
    }
}
