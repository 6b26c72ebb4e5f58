package org.lkmd.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ModuleIndex} over five tries in kmod's binary format, mapped from the {@code .bin}
 * files or built in memory from the text files. Exact lookups walk the trie; wildcard lookups
 * walk the trie as libkmod does, and use an {@link AliasMatcher} once a caller has made many.
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

    /**
     * Wildcard lookups over one trie. Building an {@link AliasMatcher} costs about as much as a few
     * hundred of libkmod's trie walks (~0.3 s for modules.alias with a warm JIT, many seconds on a
     * cold or emulated CPU), and a daemon at boot or a single modprobe makes far fewer lookups: so the
     * first {@value #WALKS_BEFORE_BUILD} lookups walk the trie ({@link BinIndexReader#searchWild},
     * the same answers in the same order, which the matcher reproduces), and only a caller that goes
     * on looking up builds the matcher, once, safely across threads.
     */
    private static final class Lazy {
        static final int WALKS_BEFORE_BUILD = 512;
        private final BinIndexReader source;
        private final AtomicInteger walks = new AtomicInteger();
        private volatile AliasMatcher matcher;

        Lazy(BinIndexReader source) {
            this.source = source;
        }

        List<String> lookup(String query) {
            AliasMatcher m = matcher;
            if (m == null) {
                if (walks.incrementAndGet() <= WALKS_BEFORE_BUILD) {
                    List<IndexValue> r = source.searchWild(query);
                    List<String> out = new ArrayList<>(r.size());
                    r.forEach(v -> out.add(v.value()));
                    return out;
                }
                m = build();
            }
            return m.lookup(query);
        }

        private synchronized AliasMatcher build() {
            AliasMatcher m = matcher;
            if (m == null) {
                m = AliasMatcher.build(source);
                matcher = m;
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
        return aliasMatcher.lookup(query);
    }

    @Override
    public List<String> symbols(String symbolKey) {
        return symbolMatcher.lookup(symbolKey);
    }

    @Override
    public boolean builtin(String moduleName) {
        return builtin.search(moduleName).isPresent();
    }

    @Override
    public List<String> builtinAliases(String query) {
        return builtinAliasMatcher.lookup(query);
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
