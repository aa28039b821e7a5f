package dev.semel.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers shared by keys, scopes and fingerprints. No promises: internal. */
public final class Hashing {
    private static final MessageDigest PROTOTYPE = newDigest();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Hashing() {
    }

    /**
     * Returns a fresh SHA-256 digest.
     *
     * @return a digest no other thread uses
     */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return newDigest();
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform must provide SHA-256", e);
        }
    }

    /**
     * Feeds a length-prefixed field, so that ("ab", "c") and ("a", "bc") differ.
     *
     * @param digest the digest to update
     * @param bytes the field's bytes
     */
    public static void field(MessageDigest digest, byte[] bytes) {
        int n = bytes.length;
        digest.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        digest.update(bytes);
    }

    /**
     * Feeds a length-prefixed UTF-8 string field.
     *
     * @param digest the digest to update
     * @param s the field
     */
    public static void field(MessageDigest digest, String s) {
        field(digest, s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Lower-case hexadecimal of bytes.
     *
     * @param bytes the bytes
     * @return two characters per byte
     */
    public static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }
}
