package org.lkmd.index;

/**
 * One line of {@code modules.devname}: the module that provides a device node, the node's path
 * under {@code /dev}, its type ({@code 'c'} character, {@code 'b'} block) and numbers. The numbers
 * are C {@code unsigned int}s, kept in a {@code long} as 0 .. 4294967295.
 *
 * @param line the 1-based line number in the file
 */
public record DevnameEntry(int line, String module, String devname, char type, long major, long minor) {
}
