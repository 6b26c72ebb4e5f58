package org.lkmd.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The signature appended to a module, as libkmod (built with OpenSSL) reports it to modinfo.
 *
 * <h2>Trailer format</h2>
 * A signed module ends with: the signature data, a 12-byte descriptor, and the 28-byte magic
 * {@code "~Module signature appended~\n"}. The descriptor is {@code algo, hash, id_type,
 * signer_len, key_id_len} (one byte each), three pad bytes and the big-endian 32-bit length of
 * the signature data. For {@code id_type} 2 (PKCS#7, what the kernel's sign-file writes) the data
 * is a DER {@code ContentInfo} whose first {@code SignerInfo} gives the issuer's common name
 * (signer), the serial number (key id, as unsigned big-endian bytes), the digest algorithm and the
 * encrypted digest (the signature). For the older types the signer name and key id precede the
 * signature bytes in the file and the algorithms come from the descriptor.
 *
 * @param idType   "PKCS#7", "X509" or "PGP"
 * @param signer   signer name (bytes kept as ISO-8859-1 characters)
 * @param keyId    key identifier bytes
 * @param hashAlgo digest name as kmod spells it ("sha256"...), null when unknown
 * @param signature signature bytes
 */
public record ModuleSignature(String idType, String signer, byte[] keyId, String hashAlgo, byte[] signature) {

    static final String MAGIC = "~Module signature appended~\n";
    private static final String[] ID_TYPES = {"PGP", "X509", "PKCS#7"};
    private static final String[] HASHES = {"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"};
    private static final int ALGOS = 2;

    /** Reads the trailer of a whole (decompressed) module image; empty when there is no valid signature. */
    public static Optional<ModuleSignature> parse(ByteBuffer image) {
        return parse(image, image.limit());
    }

    /**
     * Reads the trailer from the last bytes of an image.
     *
     * @param tail     the image's last {@code tail.limit()} bytes
     * @param fileSize the whole image's size
     */
    static Optional<ModuleSignature> parse(ByteBuffer tail, long fileSize) {
        // The tail holds the whole trailer (or the whole image), so the size checks below,
        // made against the tail, agree with libkmod's checks against the file size.
        return parseTail(tail);
    }

    private static Optional<ModuleSignature> parseTail(ByteBuffer image) {
        int size = image.limit();
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (size < magic.length) {
            return Optional.empty();
        }
        size -= magic.length;
        for (int i = 0; i < magic.length; i++) {
            if (image.get(size + i) != magic[i]) {
                return Optional.empty();
            }
        }
        if (size < 12) {
            return Optional.empty();
        }
        size -= 12;
        int algo = image.get(size) & 0xff;
        int hash = image.get(size + 1) & 0xff;
        int idType = image.get(size + 2) & 0xff;
        int signerLen = image.get(size + 3) & 0xff;
        int keyIdLen = image.get(size + 4) & 0xff;
        long sigLen = Integer.toUnsignedLong(image.order(java.nio.ByteOrder.BIG_ENDIAN).getInt(size + 8));
        if (algo >= ALGOS || hash >= HASHES.length || idType >= ID_TYPES.length) {
            return Optional.empty();
        }
        if (sigLen == 0 || size < sigLen + signerLen + keyIdLen) {
            return Optional.empty();
        }
        int sigStart = size - (int) sigLen;
        byte[] sig = new byte[(int) sigLen];
        image.get(sigStart, sig);
        if (idType == 2) {
            return Pkcs7SignerInfo.parse(sig).map(si -> new ModuleSignature(ID_TYPES[2], si.signer(), si.serial(),
                    si.hashAlgo(), si.encryptedDigest()));
        }
        int keyStart = sigStart - keyIdLen;
        int signerStart = keyStart - signerLen;
        byte[] key = new byte[keyIdLen];
        image.get(keyStart, key);
        byte[] signer = new byte[signerLen];
        image.get(signerStart, signer);
        return Optional.of(new ModuleSignature(ID_TYPES[idType], new String(signer, StandardCharsets.ISO_8859_1), key,
                HASHES[hash], sig));
    }

    /**
     * Bytes as modinfo prints them: upper-case hex pairs joined by ':', a line break plus two tabs
     * after every 20th byte (not after the last one).
     */
    public static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 3 + b.length / 20 * 3);
        for (int i = 0; i < b.length; i++) {
            sb.append(Character.toUpperCase(Character.forDigit((b[i] >> 4) & 0xf, 16)));
            sb.append(Character.toUpperCase(Character.forDigit(b[i] & 0xf, 16)));
            if (i < b.length - 1) {
                sb.append(':');
                if ((i + 1) % 20 == 0) {
                    sb.append("\n\t\t");
                }
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModuleSignature s && s.idType.equals(idType) && s.signer.equals(signer)
                && Arrays.equals(s.keyId, keyId) && java.util.Objects.equals(s.hashAlgo, hashAlgo)
                && Arrays.equals(s.signature, signature);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "ModuleSignature[" + idType + ", " + signer + ", " + hex(keyId) + ", " + hashAlgo + "]";
    }
}
