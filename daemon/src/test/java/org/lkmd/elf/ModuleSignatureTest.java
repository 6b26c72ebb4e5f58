package org.lkmd.elf;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleSignatureTest {
    @Test
    void hexBreaksLinesAfterEveryTwentiethByte() {
        byte[] b = new byte[21];
        b[0] = (byte) 0xab;
        b[20] = 0x0f;
        String hex = ModuleSignature.hex(b);
        assertTrue(hex.startsWith("AB:00:"));
        assertTrue(hex.endsWith(":00:\n\t\t0F"), hex);
        assertEquals("01:02", ModuleSignature.hex(new byte[] {1, 2}));
    }

    @Test
    void legacyTrailerGivesSignerKeyAndHashFromTheDescriptor() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("ELF-ish body".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("me".getBytes(StandardCharsets.US_ASCII)); // signer
        out.writeBytes(new byte[] {0x12, 0x34});                // key id
        out.writeBytes(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe}); // signature
        out.writeBytes(new byte[] {1, 4, 1, 2, 2, 0, 0, 0, 0, 0, 0, 3}); // RSA, sha256, X509, lens, sig_len 3
        out.writeBytes(ModuleSignature.MAGIC.getBytes(StandardCharsets.US_ASCII));
        ModuleSignature s = ModuleSignature.parse(ByteBuffer.wrap(out.toByteArray())).orElseThrow();
        assertEquals("X509", s.idType());
        assertEquals("me", s.signer());
        assertEquals("12:34", ModuleSignature.hex(s.keyId()));
        assertEquals("sha256", s.hashAlgo());
        assertEquals("DE:AD:BE", ModuleSignature.hex(s.signature()));
    }

    @Test
    void noTrailerNoSignature() {
        assertTrue(ModuleSignature.parse(ByteBuffer.wrap("plain".getBytes(StandardCharsets.US_ASCII))).isEmpty());
    }
}
