package dev.semel.redis;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary form of one record: a fixed 74-byte header the Lua scripts read by offset,
 * then the readable fields and, once completed, the response. Big-endian throughout.
 *
 * <pre>
 * offset size  field
 *  0      1    format version (1)
 *  1      1    state: 1 in progress, 2 completed
 *  2      8    fencing token
 * 10      8    lease deadline, epoch millis
 * 18      8    created at, epoch millis
 * 26      8    completed at, epoch millis (0 while in progress)
 * 34      8    expires at, epoch millis
 * 42     32    fingerprint
 * 74      -    owner, key, scope: each u16 length + UTF-8 (0xFFFF = null)
 *  -      -    completed only: status u16, flags u8 (bit 0: body retained), header count u16,
 *              each header: name u16 length + UTF-8, value u32 length + UTF-8; body u32 length + bytes
 * </pre>
 *
 * <p>The scripts rely on the header offsets and on the owner being the first variable field;
 * change them only together with a new format version.
 */
final class RecordCodec {
    static final byte VERSION = 1;
    static final byte IN_PROGRESS = 1;
    static final byte COMPLETED = 2;
    static final int HEADER_LENGTH = 74;
    private static final int NULL_LENGTH = 0xFFFF;
    private static final int MAX_SHORT_STRING = 0xFFFE;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private RecordCodec() {
    }

    static byte[] inProgress(ClaimRequest request) {
        if (request.fingerprint().length != Fingerprint.LENGTH) {
            throw new IllegalArgumentException(
                    "fingerprint must be " + Fingerprint.LENGTH + " bytes, was " + request.fingerprint().length);
        }
        byte[] owner = utf8(request.owner(), "owner");
        byte[] key = utf8(request.key(), "key");
        byte[] scope = utf8(request.scope(), "scope");
        // built in place: this runs on every claim, replays included
        byte[] v = new byte[HEADER_LENGTH + 6 + length(owner) + length(key) + length(scope)];
        v[0] = VERSION;
        v[1] = IN_PROGRESS;
        LONG.set(v, 2, request.freshToken());
        LONG.set(v, 10, millis(request.leaseDeadline(), "leaseDeadline"));
        LONG.set(v, 18, millis(request.now(), "now"));
        LONG.set(v, 26, 0L);
        LONG.set(v, 34, millis(request.expiresAt(), "expiresAt"));
        System.arraycopy(request.fingerprint(), 0, v, 42, Fingerprint.LENGTH);
        int at = putShortString(v, HEADER_LENGTH, owner);
        at = putShortString(v, at, key);
        putShortString(v, at, scope);
        return v;
    }

    /**
     * How long Redis keeps a new in-progress record: until it expires, or {@code leaseGrace}
     * after its lease ends if that is sooner, and at least 1 ms. The claim script's {@code px}
     * computes the same.
     *
     * @param inProgress a value from {@link #inProgress(ClaimRequest)}
     * @param now the engine's now, epoch millis
     * @param leaseGrace the store's lease grace, millis
     * @return the {@code PX} argument
     */
    static long inProgressTtl(byte[] inProgress, long now, long leaseGrace) {
        long ttl = Math.min(readLong(inProgress, 34) - now, readLong(inProgress, 10) - now + leaseGrace);
        return Math.max(ttl, 1);
    }

    /**
     * Whether a claim that found {@code existing} must rewrite it, which only the claim
     * script may do atomically: the record has expired by the engine's clock (Redis still
     * holds it), or its lease ended and the payload is the same (a takeover). Every other
     * record is reported as found, unchanged — the same cases in which the claim script
     * returns it. A value this version cannot read is left to {@link #decode}, which rejects it,
     * so a foreign value is never overwritten.
     *
     * @param existing the value the key holds
     * @param now the engine's now, epoch millis
     * @param fingerprint the claim's fingerprint
     * @return {@code true} if the claim script must decide
     */
    static boolean mustRewrite(byte[] existing, long now, byte[] fingerprint) {
        if (existing.length < HEADER_LENGTH || existing[0] != VERSION) {
            return false;
        }
        if (readLong(existing, 34) <= now) {
            return true;
        }
        return existing[1] == IN_PROGRESS && readLong(existing, 10) <= now
                && Arrays.equals(existing, 42, HEADER_LENGTH, fingerprint, 0, fingerprint.length);
    }

    private static long readLong(byte[] b, int offset) {
        return (long) LONG.get(b, offset);
    }

    /** The owner field a takeover writes in place of the old one. */
    static byte[] owner(String owner) {
        return shortString(owner, "owner");
    }

    static byte[] response(StoredResponse response) {
        List<byte[][]> headers = new ArrayList<>(response.headers().size());
        int size = 2 + 1 + 2 + 4 + response.bodyLength();
        for (Header h : response.headers()) {
            byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
            byte[] value = h.value().getBytes(StandardCharsets.UTF_8);
            if (name.length > MAX_SHORT_STRING) {
                throw new IllegalArgumentException("header name longer than " + MAX_SHORT_STRING + " bytes");
            }
            headers.add(new byte[][] {name, value});
            size += 2 + name.length + 4 + value.length;
        }
        if (headers.size() > MAX_SHORT_STRING) {
            throw new IllegalArgumentException("more than " + MAX_SHORT_STRING + " headers");
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putShort((short) response.status()).put((byte) (response.bodyRetained() ? 1 : 0))
                .putShort((short) headers.size());
        for (byte[][] h : headers) {
            b.putShort((short) h[0].length).put(h[0]).putInt(h[1].length).put(h[1]);
        }
        byte[] body = response.body();
        b.putInt(body.length).put(body);
        return b.array();
    }

    static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    static long toLong(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] instant(Instant instant, String name) {
        return longBytes(millis(instant, name));
    }

    static long millis(Instant instant, String name) {
        long millis = instant.toEpochMilli();
        if (millis < 0) {
            throw new IllegalArgumentException(name + " must not be before 1970, was " + instant);
        }
        return millis;
    }

    /** The parts of a record the admin query filters on, read from its first bytes. */
    record Summary(byte state, Instant createdAt, Instant expiresAt, Instant leaseDeadline, String key) {
    }

    /**
     * Reads the header and readable fields from a value's first bytes.
     *
     * @return the summary, or {@code null} if the bytes end before the key does
     */
    static Summary summary(byte[] value) {
        Summary header = summaryOfHeader(value);
        if (header == null) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(value).position(HEADER_LENGTH);
            readShortString(b);
            return new Summary(header.state(), header.createdAt(), header.expiresAt(), header.leaseDeadline(),
                    readShortString(b));
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Reads only the fixed header (state and times).
     *
     * @return the summary without its key, or {@code null} if the bytes are too short
     */
    static Summary summaryOfHeader(byte[] head) {
        if (head == null || head.length < HEADER_LENGTH || head[0] != VERSION) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(head);
        return new Summary(head[1], Instant.ofEpochMilli(b.getLong(18)), Instant.ofEpochMilli(b.getLong(34)),
                Instant.ofEpochMilli(b.getLong(10)), null);
    }

    static IdempotencyRecord decode(String recordId, byte[] value) {
        try {
            ByteBuffer b = ByteBuffer.wrap(value);
            checkVersion(b.get());
            byte state = b.get();
            long token = b.getLong();
            Instant lease = Instant.ofEpochMilli(b.getLong());
            Instant created = Instant.ofEpochMilli(b.getLong());
            long completedMillis = b.getLong();
            Instant expires = Instant.ofEpochMilli(b.getLong());
            byte[] fingerprint = new byte[Fingerprint.LENGTH];
            b.get(fingerprint);
            String owner = readShortString(b);
            String key = readShortString(b);
            String scope = readShortString(b);
            if (state == IN_PROGRESS) {
                return new IdempotencyRecord(recordId, key, scope, RecordState.IN_PROGRESS, fingerprint, token, owner,
                        lease, created, null, expires, null);
            }
            if (state != COMPLETED) {
                throw new IllegalArgumentException("unknown state " + state);
            }
            int status = Short.toUnsignedInt(b.getShort());
            boolean retained = (b.get() & 1) != 0;
            int headerCount = Short.toUnsignedInt(b.getShort());
            Header[] read = new Header[headerCount];
            for (int i = 0; i < headerCount; i++) {
                String name = utf8(b, Short.toUnsignedInt(b.getShort()));
                String headerValue = utf8(b, b.getInt());
                read[i] = new Header(name, headerValue);
            }
            // an immutable list, which StoredResponse keeps as it is instead of copying it
            List<Header> headers = List.of(read);
            int bodyLength = b.getInt();
            if (bodyLength < 0 || bodyLength > b.remaining()) {
                // checked before allocating: a damaged length must not ask for gigabytes
                throw new IllegalArgumentException("body length " + bodyLength + " past the end of the value");
            }
            byte[] body = new byte[bodyLength];
            b.get(body);
            StoredResponse response = StoredResponse.restore(status, headers, body, retained);
            return new IdempotencyRecord(recordId, key, scope, RecordState.COMPLETED, fingerprint, token, owner, lease,
                    created, Instant.ofEpochMilli(completedMillis), expires, response);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException
                | NegativeArraySizeException e) {
            throw new IdempotencyStoreException("Redis holds a record " + recordId
                    + " this version cannot read (another writer, or a corrupted value): " + e.getMessage(), e);
        }
    }

    private static void checkVersion(byte version) {
        if (version != VERSION) {
            throw new IllegalArgumentException("unknown record format version " + version);
        }
    }

    private static byte[] shortString(String s, String name) {
        byte[] bytes = utf8(s, name);
        byte[] field = new byte[2 + length(bytes)];
        putShortString(field, 0, bytes);
        return field;
    }

    /** A short field's UTF-8 bytes, {@code null} for {@code null}. */
    private static byte[] utf8(String s, String name) {
        if (s == null) {
            return null;
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_SHORT_STRING) {
            throw new IllegalArgumentException(name + " longer than " + MAX_SHORT_STRING + " bytes");
        }
        return bytes;
    }

    private static int length(byte[] utf8) {
        return utf8 == null ? 0 : utf8.length;
    }

    /** Writes u16 length + bytes ({@code 0xFFFF} for {@code null}) at {@code at}; returns the next offset. */
    private static int putShortString(byte[] target, int at, byte[] utf8) {
        int length = utf8 == null ? NULL_LENGTH : utf8.length;
        target[at] = (byte) (length >>> 8);
        target[at + 1] = (byte) length;
        if (utf8 == null) {
            return at + 2;
        }
        System.arraycopy(utf8, 0, target, at + 2, utf8.length);
        return at + 2 + utf8.length;
    }

    private static String readShortString(ByteBuffer b) {
        int length = Short.toUnsignedInt(b.getShort());
        return length == NULL_LENGTH ? null : utf8(b, length);
    }

    private static String utf8(ByteBuffer b, int length) {
        if (length < 0 || length > b.remaining()) {
            throw new IllegalArgumentException("field length " + length + " past the end of the value");
        }
        String s = new String(b.array(), b.position(), length, StandardCharsets.UTF_8);
        b.position(b.position() + length);
        return s;
    }
}
