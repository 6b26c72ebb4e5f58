package org.lkmd.loader;

import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fake module files for {@code SimulatedKernel}: NUL-separated {@code .modinfo}-like records. */
final class Modules {
    private Modules() {
    }

    static Path write(Path dir, String name, String... depends) throws IOException {
        Files.createDirectories(dir);
        Path p = dir.resolve(name + ".ko");
        Files.write(p, image(name, depends));
        return p;
    }

    static Path writeXz(Path dir, String name, String... depends) throws IOException {
        Files.createDirectories(dir);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream xz = new XZOutputStream(bytes, new LZMA2Options())) {
            xz.write(image(name, depends));
        }
        Path p = dir.resolve(name + ".ko.xz");
        Files.write(p, bytes.toByteArray());
        return p;
    }

    static byte[] image(String name, String... depends) {
        String s = "\u007fELF\0name=" + name + "\0depends=" + String.join(",", depends) + "\0";
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
