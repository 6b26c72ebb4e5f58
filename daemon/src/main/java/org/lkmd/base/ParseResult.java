package org.lkmd.base;

import java.util.List;
import java.util.Optional;

/**
 * What a parser or loader understood, plus what it had to say about the input. An empty value
 * means the input as a whole could not be used (callers keep what they had before).
 */
public record ParseResult<T>(Optional<T> value, List<Diagnostic> diagnostics) {

    public ParseResult {
        diagnostics = List.copyOf(diagnostics);
    }

    public static <T> ParseResult<T> of(T value, List<Diagnostic> diagnostics) {
        return new ParseResult<>(Optional.of(value), diagnostics);
    }

    public static <T> ParseResult<T> failed(List<Diagnostic> diagnostics) {
        return new ParseResult<>(Optional.empty(), diagnostics);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(d -> d.severity() == Severity.ERROR);
    }
}
