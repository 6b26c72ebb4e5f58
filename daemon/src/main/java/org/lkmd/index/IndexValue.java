package org.lkmd.index;

/**
 * One value stored under a key of a {@code .bin} index, with its priority (an unsigned 32-bit
 * number in the file, held here as a non-negative {@code long}; lower sorts first).
 */
public record IndexValue(long priority, String value) {
}
