package dev.semel;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers shared by keys, scopes and fingerprints. No promises: internal. */
final class Hashing {
    private static final MessageDigest PROTOTYPE = newDigest();
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ThreadLocal<MessageDigest> PER_THREAD = ThreadLocal.withInitial(Hashing::sha256);

    private Hashing() {
    }

    /**
     * Returns a fresh SHA-256 digest.
     *
     * @return a digest no other thread uses
     */
    static MessageDigest sha256() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return newDigest();
        }
    }

    /**
     * Returns this thread's SHA-256 digest, reset. Cheaper than {@link #sha256()} (no
     * clone per hash) but only for a hash computed start to finish by one method, with no
     * call in between that could hash too: never keep it, never hand it out.
     *
     * @return the calling thread's digest, empty
     */
    static MessageDigest threadSha256() {
        MessageDigest digest = PER_THREAD.get();
        digest.reset();
        return digest;
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
    static void field(MessageDigest digest, byte[] bytes) {
        int n = bytes.length;
        digest.update((byte) (n >>> 24));
        digest.update((byte) (n >>> 16));
        digest.update((byte) (n >>> 8));
        digest.update((byte) n);
        digest.update(bytes);
    }

    /**
     * Feeds a length-prefixed UTF-8 string field.
     *
     * @param digest the digest to update
     * @param s the field
     */
    static void field(MessageDigest digest, String s) {
        field(digest, s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Lower-case hexadecimal of bytes.
     *
     * @param bytes the bytes
     * @return two characters per byte
     */
    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }
}
