package org.lkmd.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@link ModuleIndex} over five tries in kmod's binary format, mapped from the {@code .bin}
 * files or built in memory from the text files. Exact lookups walk the trie; wildcard lookups
 * use an {@link AliasMatcher} built on first use.
 */
final class TrieModuleIndex implements ModuleIndex {

    private final Path modulesDir;
    private final BinIndexReader dep;
    private final BinIndexReader alias;
    private final BinIndexReader symbols;
    private final BinIndexReader builtin;
    private final BinIndexReader builtinAlias;
    private final Lazy aliasMatcher;
    private final Lazy symbolMatcher;
    private final Lazy builtinAliasMatcher;

    TrieModuleIndex(Path modulesDir, BinIndexReader dep, BinIndexReader alias,
            BinIndexReader symbols, BinIndexReader builtin, BinIndexReader builtinAlias) {
        this.modulesDir = modulesDir;
        this.dep = dep;
        this.alias = alias;
        this.symbols = symbols;
        this.builtin = builtin;
        this.builtinAlias = builtinAlias;
        this.aliasMatcher = new Lazy(alias);
        this.symbolMatcher = new Lazy(symbols);
        this.builtinAliasMatcher = new Lazy(builtinAlias);
    }

    /** Builds an {@link AliasMatcher} once, on first use, safely across threads. */
    private static final class Lazy {
        private final BinIndexReader source;
        private volatile AliasMatcher matcher;

        Lazy(BinIndexReader source) {
            this.source = source;
        }

        AliasMatcher get() {
            AliasMatcher m = matcher;
            if (m == null) {
                synchronized (this) {
                    m = matcher;
                    if (m == null) {
                        m = AliasMatcher.build(source);
                        matcher = m;
                    }
                }
            }
            return m;
        }
    }

    @Override
    public Path modulesDir() {
        return modulesDir;
    }

    @Override
    public Optional<DepEntry> dep(String moduleName) {
        return dep.search(moduleName).flatMap(TextIndexReader::parseDepLine)
                .map(d -> new DepEntry(moduleName, d.path(), d.dependencies()));
    }

    @Override
    public List<String> aliases(String query) {
        return aliasMatcher.get().lookup(query);
    }

    @Override
    public List<String> symbols(String symbolKey) {
        return symbolMatcher.get().lookup(symbolKey);
    }

    @Override
    public boolean builtin(String moduleName) {
        return builtin.search(moduleName).isPresent();
    }

    @Override
    public List<String> builtinAliases(String query) {
        return builtinAliasMatcher.get().lookup(query);
    }

    @Override
    public void dumpAliases(Appendable out) throws IOException {
        alias.dump("alias ", out);
    }

    @Override
    public void dumpSymbols(Appendable out) throws IOException {
        symbols.dump("alias ", out);
    }

    /** The trie behind {@code modules.alias} (for tests comparing with libkmod's walk). */
    BinIndexReader aliasTrie() {
        return alias;
    }

    BinIndexReader symbolTrie() {
        return symbols;
    }
}
