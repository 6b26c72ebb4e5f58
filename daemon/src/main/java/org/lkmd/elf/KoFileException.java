package org.lkmd.elf;

import java.io.IOException;

/**
 * A module file that cannot be read as kmod would read it. {@link #reason()} is the C library's
 * text for the errno kmod reports in the same case ("Invalid argument", "Exec format error",
 * "No such file or directory"); {@link #detail()} says what exactly is wrong.
 */
public final class KoFileException extends IOException {
    private final String reason;
    private final String detail;

    public KoFileException(String reason, String detail) {
        super(reason + " (" + detail + ")");
        this.reason = reason;
        this.detail = detail;
    }

    public static final String EINVAL = "Invalid argument";
    public static final String ENOEXEC = "Exec format error";
    public static final String ENOENT = "No such file or directory";

    /** strerror() text of the errno kmod reports. */
    public String reason() {
        return reason;
    }

    /** What is wrong, in lkmd's words. */
    public String detail() {
        return detail;
    }
}
