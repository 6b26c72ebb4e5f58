package org.lkmd.index;

import org.lkmd.base.ModuleNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;

/**
 * Loads the module index of one module directory ({@code /lib/modules/<release>}). For each
 * index it prefers kmod's {@code .bin} file (mapped, every node checked once); a corrupt or
 * truncated {@code .bin} gives a warning naming the file and offset, and the text file is used
 * instead, turned into the same trie depmod would have written. Only {@code modules.dep} is
 * required: without it (and its {@code .bin}) the result is one error and no index.
 */
public final class ModuleIndexLoader {

    /** Text files above this size are refused rather than read into memory. */
    static final long MAX_TEXT_SIZE = 256L << 20;

    /** Reads the index files under {@code modulesDir}. */
    public ParseResult<ModuleIndex> load(Path modulesDir) {
        List<Diagnostic> diags = new ArrayList<>();
        Path depText = modulesDir.resolve("modules.dep");
        Path depBin = modulesDir.resolve("modules.dep.bin");
        if (!Files.exists(depText) && !Files.exists(depBin)) {
            diags.add(Diagnostic.error(depText.toString(), 0,
                    "missing (and no modules.dep.bin): run 'depmod' or 'lkmd depmod' to create the module index"));
            return ParseResult.failed(diags);
        }
        BinIndexReader dep = trie(modulesDir, "modules.dep", diags, ModuleIndexLoader::depFromText);
        if (dep == null) {
            return ParseResult.failed(diags);
        }
        BinIndexReader alias = trie(modulesDir, "modules.alias", diags,
                text -> aliasesFromText(TextIndexReader.parseAliases(text), true));
        BinIndexReader symbols = trie(modulesDir, "modules.symbols", diags,
                text -> aliasesFromText(TextIndexReader.parseAliases(text), false));
        BinIndexReader builtin = trie(modulesDir, "modules.builtin", diags, text -> {
            TrieWriter w = new TrieWriter();
            TextIndexReader.parseBuiltin(text).forEach(name -> w.insert(name, "", 0));
            return w;
        });
        BinIndexReader builtinAlias = binOrText(modulesDir, "modules.builtin.alias.bin",
                "modules.builtin.modinfo", diags, text -> {
                    TrieWriter w = new TrieWriter();
                    for (TextIndexReader.Entry e : TextIndexReader.parseBuiltinModinfo(text)) {
                        ModuleNames.normalizeAlias(e.key()).ifPresent(k -> w.insert(k, e.value(), 0));
                    }
                    return w;
                });
        if (alias == null || symbols == null || builtin == null || builtinAlias == null) {
            return ParseResult.failed(diags);
        }
        return ParseResult.of(new TrieModuleIndex(modulesDir, dep, alias, symbols, builtin, builtinAlias),
                diags);
    }

    private interface TextToTrie {
        TrieWriter build(String text);
    }

    private static BinIndexReader trie(Path dir, String name, List<Diagnostic> diags, TextToTrie fromText) {
        return binOrText(dir, name + ".bin", name, diags, fromText);
    }

    /** The .bin when present and sound, else the text file as a trie; null on an unusable text file. */
    private static BinIndexReader binOrText(Path dir, String binName, String textName,
            List<Diagnostic> diags, TextToTrie fromText) {
        Path bin = dir.resolve(binName);
        if (Files.exists(bin)) {
            try {
                BinIndexReader r = BinIndexReader.open(bin);
                r.validate();
                return r;
            } catch (IndexFormatException e) {
                diags.add(Diagnostic.warning(bin.toString(), 0, "corrupt index at offset " + e.offset()
                        + ": " + shortMessage(e) + ", using " + textName + " instead"));
            } catch (IOException e) {
                diags.add(Diagnostic.warning(bin.toString(), 0, "Failed to read: " + e.getMessage()
                        + ", using " + textName + " instead"));
            }
        }
        Path text = dir.resolve(textName);
        TrieWriter w;
        try {
            if (Files.size(text) > MAX_TEXT_SIZE) {
                diags.add(Diagnostic.error(text.toString(), 0, "larger than " + MAX_TEXT_SIZE + " bytes"));
                return null;
            }
            w = fromText.build(new String(Files.readAllBytes(text), StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException e) {
            w = new TrieWriter(); // optional index files: none means no entries, as in libkmod
        } catch (IOException e) {
            diags.add(Diagnostic.error(text.toString(), 0, "Failed to read: " + e.getMessage()));
            return null;
        } catch (IllegalArgumentException e) {
            diags.add(Diagnostic.error(text.toString(), 0, e.getMessage()));
            return null;
        }
        return new BinIndexReader(text, w.toBuffer());
    }

    private static String shortMessage(IndexFormatException e) {
        String m = e.getMessage();
        int cut = m.indexOf(": offset ");
        int next = cut < 0 ? -1 : m.indexOf(": ", cut + 2);
        return next < 0 ? m : m.substring(next + 2);
    }

    private static TrieWriter depFromText(String text) {
        TrieWriter w = new TrieWriter();
        List<DepEntry> deps = TextIndexReader.parseDep(text);
        for (int i = 0; i < deps.size(); i++) {
            DepEntry d = deps.get(i);
            StringBuilder line = new StringBuilder(d.path()).append(':');
            d.dependencies().forEach(p -> line.append(' ').append(p));
            w.insert(d.name(), line.toString(), i);
        }
        return w;
    }

    /**
     * depmod writes the text files module by module in its priority order, so a module's rank
     * of first appearance stands in for the priority the .bin stores (only the order matters).
     */
    private static TrieWriter aliasesFromText(List<TextIndexReader.Entry> entries, boolean normalize) {
        TrieWriter w = new TrieWriter();
        Map<String, Integer> rank = new HashMap<>();
        for (TextIndexReader.Entry e : entries) {
            int priority = rank.computeIfAbsent(e.value(), v -> rank.size());
            Optional<String> key = normalize ? ModuleNames.normalizeAlias(e.key()) : Optional.of(e.key());
            key.ifPresent(k -> w.insert(k, e.value(), priority));
        }
        return w;
    }
}
