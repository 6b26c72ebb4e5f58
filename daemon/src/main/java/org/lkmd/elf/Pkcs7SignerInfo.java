package org.lkmd.elf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The fields modinfo shows from the first {@code SignerInfo} of a DER PKCS#7 {@code SignedData}
 * (RFC 2315): issuer common name, serial number, digest algorithm, encrypted digest. A minimal
 * DER walker: anything malformed yields empty, as a failed OpenSSL parse makes libkmod report no
 * signature.
 */
record Pkcs7SignerInfo(String signer, byte[] serial, String hashAlgo, byte[] encryptedDigest) {

    private static final byte[] OID_SIGNED_DATA = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x02};
    private static final byte[] OID_CN = {0x55, 0x04, 0x03};
    private static final Map<String, String> DIGESTS = Map.of(
            "2a864886f70d0204", "md4",
            "2a864886f70d0205", "md5",
            "2b0e03021a", "sha1",
            "2b24030201", "rmd160",
            "608648016503040201", "sha256",
            "608648016503040202", "sha384",
            "608648016503040203", "sha512",
            "608648016503040204", "sha224",
            "2a811ccf55018311", "sm3");

    /** One DER element: tag, and the content's bounds in the buffer. */
    private record Tlv(int tag, int start, int end) {
    }

    private static final class Reader {
        final byte[] b;
        int pos;
        final int end;

        Reader(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        Tlv next() {
            if (pos + 2 > end) {
                throw new IllegalArgumentException("truncated DER");
            }
            int tag = b[pos++] & 0xff;
            int len = b[pos++] & 0xff;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 4 || pos + n > end) {
                    throw new IllegalArgumentException("bad DER length");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[pos++] & 0xff);
                }
                if (len < 0) {
                    throw new IllegalArgumentException("bad DER length");
                }
            }
            if (pos + len > end) {
                throw new IllegalArgumentException("DER element beyond its parent");
            }
            Tlv t = new Tlv(tag, pos, pos + len);
            pos += len;
            return t;
        }

        Tlv expect(int tag) {
            Tlv t = next();
            if (t.tag != tag) {
                throw new IllegalArgumentException("DER tag " + t.tag + " where " + tag + " expected");
            }
            return t;
        }

        Reader inside(Tlv t) {
            return new Reader(b, t.start, t.end);
        }
    }

    static Optional<Pkcs7SignerInfo> parse(byte[] der) {
        try {
            Reader top = new Reader(der, 0, der.length);
            Reader ci = top.inside(top.expect(0x30));
            Tlv type = ci.expect(0x06);
            if (!Arrays.equals(Arrays.copyOfRange(der, type.start, type.end), OID_SIGNED_DATA)) {
                return Optional.empty();
            }
            Reader explicit = ci.inside(ci.expect(0xa0));
            Reader sd = explicit.inside(explicit.expect(0x30));
            sd.expect(0x02); // version
            sd.expect(0x31); // digestAlgorithms
            sd.expect(0x30); // contentInfo
            Tlv t = sd.next();
            while (t.tag == 0xa0 || t.tag == 0xa1) { // certificates, crls
                t = sd.next();
            }
            if (t.tag != 0x31) {
                return Optional.empty();
            }
            Reader infos = sd.inside(t);
            Reader si = infos.inside(infos.expect(0x30));
            si.expect(0x02); // version
            Reader ias = si.inside(si.expect(0x30));
            Tlv issuer = ias.expect(0x30);
            Tlv serial = ias.expect(0x02);
            Reader digAlg = si.inside(si.expect(0x30));
            Tlv digOid = digAlg.expect(0x06);
            Tlv next = si.next();
            if (next.tag == 0xa0) { // authenticatedAttributes
                next = si.next();
            }
            if (next.tag != 0x30) { // digestEncryptionAlgorithm
                return Optional.empty();
            }
            Tlv digest = si.expect(0x04);
            String cn = commonName(new Reader(der, issuer.start, issuer.end));
            byte[] sn = Arrays.copyOfRange(der, serial.start, serial.end);
            int z = 0;
            while (z < sn.length && sn[z] == 0) {
                z++;
            }
            return Optional.of(new Pkcs7SignerInfo(cn, Arrays.copyOfRange(sn, z, sn.length),
                    DIGESTS.get(hex(der, digOid.start, digOid.end)), Arrays.copyOfRange(der, digest.start, digest.end)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String commonName(Reader name) {
        while (name.more()) {
            Reader rdn = name.inside(name.expect(0x31));
            while (rdn.more()) {
                Reader atv = rdn.inside(rdn.expect(0x30));
                Tlv oid = atv.expect(0x06);
                Tlv value = atv.next();
                if (Arrays.equals(Arrays.copyOfRange(name.b, oid.start, oid.end), OID_CN)) {
                    return new String(name.b, value.start, value.end - value.start, StandardCharsets.ISO_8859_1);
                }
            }
        }
        return null;
    }

    private static String hex(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }
}
