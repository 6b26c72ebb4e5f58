package org.lkmd.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The module index of one kernel release ({@code /lib/modules/<release>/modules.*}), answering
 * the lookups libkmod makes, with libkmod's results and orders. Implementations read kmod's
 * {@code .bin} tries when present and the text files otherwise; the answers are the same.
 * Immutable and thread-safe once built.
 *
 * <p>All names and aliases passed in are already normalized by the caller ('-' to '_' outside
 * brackets), as libkmod does before it searches.
 */
public interface ModuleIndex {

    /** The module directory this index was read from. */
    Path modulesDir();

    /** {@code modules.dep} exact lookup by module name. */
    Optional<DepEntry> dep(String moduleName);

    /**
     * {@code modules.alias} wildcard lookup: the stored patterns that match the literal query,
     * their module names in libkmod's result order (ascending priority; among equal priorities
     * the value found later first), duplicates as libkmod keeps them.
     */
    List<String> aliases(String alias);

    /** {@code modules.symbols} lookup of a {@code symbol:NAME} key, same order rules. */
    List<String> symbols(String symbolKey);

    /** True when {@code modules.builtin} names the module. */
    boolean builtin(String moduleName);

    /** {@code modules.builtin.alias.bin} wildcard lookup (from {@code modules.builtin.modinfo}). */
    List<String> builtinAliases(String alias);

    /** {@code modprobe -c}'s dump of {@code modules.alias}: {@code alias KEY VALUE} lines in trie order. */
    void dumpAliases(Appendable out) throws IOException;

    /** {@code modprobe -c}'s dump of {@code modules.symbols}, same form. */
    void dumpSymbols(Appendable out) throws IOException;
}
