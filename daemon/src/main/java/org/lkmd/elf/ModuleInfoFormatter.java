package org.lkmd.elf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * modinfo's output, as kmod 30 prints it: {@code filename:} first, then each {@code .modinfo}
 * record as {@code key:} padded to 16 columns (or {@code key=value} with {@code -0}), the
 * signature fields after the records, and the parameters last, one {@code parm:} line per
 * parameter merging its {@code parm} description and {@code parmtype} type, newest parameter
 * first. With a field ({@code -F}), only that field's values, without keys.
 */
public final class ModuleInfoFormatter {
    private final String field;
    private final char sep;

    /** @param field the only field to print, or null for all; @param sep '\n' or '\0' ({@code -0}) */
    public ModuleInfoFormatter(String field, char sep) {
        this.field = field;
        this.sep = sep;
    }

    private record Param(String name, String desc, String type) {
    }

    private void print(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String pad(String key) {
        StringBuilder sb = new StringBuilder(key);
        while (sb.length() < 16) {
            sb.append(' ');
        }
        return sb.toString();
    }

    /**
     * The {@code filename:} line of a module file.
     *
     * @return true when the field asked for is the filename, and nothing else is to be printed
     */
    public boolean header(String filename, ByteArrayOutputStream out) {
        if ("filename".equals(field)) {
            print(out, filename + sep);
            return true;
        }
        if (field == null) {
            print(out, pad("filename:") + filename + sep);
        }
        return false;
    }

    /** A builtin module: name, {@code (builtin)} file name, its records. */
    public void formatBuiltin(String name, ModInfo info, ByteArrayOutputStream out) {
        if (field == null) {
            print(out, pad("name:") + name + sep);
        } else if (field.equals("name")) {
            print(out, name + sep);
        }
        if (header("(builtin)", out)) {
            return;
        }
        body(info, null, out);
    }

    /** The records, signature fields and parameters. */
    public void body(ModInfo info, ModuleSignature sig, ByteArrayOutputStream out) {
        List<ModInfo.Entry> entries = new ArrayList<>(info.entries());
        if (sig != null) {
            entries.add(new ModInfo.Entry("sig_id", sig.idType()));
            entries.add(new ModInfo.Entry("signer", sig.signer()));
            entries.add(new ModInfo.Entry("sig_key", sig.keyId().length == 0 ? null : ModuleSignature.hex(sig.keyId())));
            entries.add(new ModInfo.Entry("sig_hashalgo", sig.hashAlgo()));
            entries.add(new ModInfo.Entry("signature", sig.signature().length == 0 ? null : ModuleSignature.hex(sig.signature())));
        }
        List<Param> params = new ArrayList<>();
        boolean paramsOnly = "parm".equals(field);
        for (ModInfo.Entry e : entries) {
            String key = e.key();
            String value = e.value() == null ? "(null)" : e.value();
            if (paramsOnly || (field == null && (key.equals("parm") || key.equals("parmtype")))) {
                if (key.equals("parm") || key.equals("parmtype")) {
                    addParam(params, key, e.value() == null ? "" : e.value());
                }
                continue;
            }
            if (field != null) {
                if (field.equals(key)) {
                    print(out, value + sep);
                }
                continue;
            }
            if (sep == '\0') {
                print(out, key + "=" + value + sep);
                continue;
            }
            StringBuilder sb = new StringBuilder(key).append(':');
            for (int i = key.length(); i < 15; i++) {
                sb.append(' ');
            }
            print(out, sb.append(value).append(sep).toString());
        }
        if (field != null && !paramsOnly) {
            return;
        }
        for (Param p : params) {
            String prefix = paramsOnly ? "" : pad("parm:");
            if (p.desc == null) {
                print(out, prefix + p.name + (paramsOnly ? ": (" + p.type + ")" : ":" + p.type) + sep);
            } else if (p.type != null) {
                print(out, prefix + p.name + ":" + p.desc + " (" + p.type + ")" + sep);
            } else {
                print(out, prefix + p.name + ":" + p.desc + sep);
            }
        }
    }

    private static void addParam(List<Param> params, String key, String value) {
        int colon = value.indexOf(':');
        if (colon < 0) {
            return;
        }
        String name = value.substring(0, colon);
        String rest = value.substring(colon + 1);
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (p.name.equals(name)) {
                params.set(i, key.equals("parm") ? new Param(name, rest, p.type) : new Param(name, p.desc, rest));
                return;
            }
        }
        params.add(0, key.equals("parm") ? new Param(name, rest, null) : new Param(name, null, rest));
    }
}
