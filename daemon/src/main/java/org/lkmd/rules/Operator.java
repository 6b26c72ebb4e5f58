package org.lkmd.rules;

/** The six operators of udev's rule syntax. */
public enum Operator {
    /** {@code ==} */
    MATCH("=="),
    /** {@code !=} */
    NOMATCH("!="),
    /** {@code +=} */
    ADD("+="),
    /** {@code -=} */
    REMOVE("-="),
    /** {@code =} */
    ASSIGN("="),
    /** {@code :=} */
    ASSIGN_FINAL(":=");

    private final String text;

    Operator(String text) {
        this.text = text;
    }

    /** True for {@code ==} and {@code !=}. */
    public boolean isMatch() {
        return this == MATCH || this == NOMATCH;
    }

    @Override
    public String toString() {
        return text;
    }
}
