package dev.semel.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts, one per transition: each reads and writes one key in one atomic step.
 *
 * <p>Times and tokens travel as 8-byte big-endian strings and are compared as bytes or
 * decoded exactly (epoch millis stay below 2^53); the fencing token is incremented bytewise,
 * so tokens above 2^53 stay exact although Lua numbers are doubles. Offsets follow
 * {@link RecordCodec} (Lua strings start at 1).
 */
enum Scripts {
    /**
     * KEYS[1] record; ARGV: now, fingerprint, fresh value, new lease deadline, owner field, lease grace ms.
     * Returns {0} fresh claim, {1, token} takeover, {2, value} found. On Redis 7 and later a
     * claim is {@code SET NX GET} first, and this runs only when the record it returned must be
     * rewritten (a takeover, or expired by the engine's clock); on older servers, every claim.
     */
    CLAIM("""
            local v = redis.call('GET', KEYS[1])
            local now = num(ARGV[1], 1)
            local grace = tonumber(ARGV[6])
            if v then
              local exp = num(v, 35)
              if exp > now then
                if string.byte(v, 2) == 1 and num(v, 11) <= now and string.sub(v, 43, 74) == ARGV[2] then
                  local token = inc(string.sub(v, 3, 10))
                  local olen = string.byte(v, 75) * 256 + string.byte(v, 76)
                  local nv = string.sub(v, 1, 2) .. token .. ARGV[4] .. string.sub(v, 19, 74) .. ARGV[5]
                      .. string.sub(v, 77 + olen)
                  redis.call('SET', KEYS[1], nv, 'PX', px(exp, num(ARGV[4], 1), now, grace))
                  return {1, token}
                end
                return {2, v}
              end
            end
            local nv = ARGV[3]
            redis.call('SET', KEYS[1], nv, 'PX', px(num(nv, 35), num(nv, 11), now, grace))
            return {0}
            """),
    /** KEYS[1]; ARGV: token, now, expires at, response, channel. Returns 1 if completed. */
    COMPLETE("""
            local h = redis.call('GETRANGE', KEYS[1], 0, 41)
            if #h < 42 or string.byte(h, 2) ~= 1 or string.sub(h, 3, 10) ~= ARGV[1] then return 0 end
            local now = num(ARGV[2], 1)
            if num(h, 35) <= now then return 0 end
            -- in place: state, completed-at and expires-at (adjacent), then the response appended
            redis.call('SETRANGE', KEYS[1], 1, string.char(2))
            redis.call('SETRANGE', KEYS[1], 26, ARGV[2] .. ARGV[3])
            redis.call('APPEND', KEYS[1], ARGV[4])
            redis.call('PEXPIRE', KEYS[1], px(num(ARGV[3], 1), nil, now, 0))
            redis.call('PUBLISH', ARGV[5], 'completed')
            return 1
            """),
    /** KEYS[1]; ARGV: token, channel. Returns 1 if released. */
    RELEASE("""
            local h = redis.call('GETRANGE', KEYS[1], 0, 41)
            if #h < 42 or string.byte(h, 2) ~= 1 or string.sub(h, 3, 10) ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('PUBLISH', ARGV[2], 'released')
            return 1
            """),
    /** KEYS[1]; ARGV: token, new lease deadline, now, lease grace ms. Returns 1 if renewed. */
    RENEW("""
            local h = redis.call('GETRANGE', KEYS[1], 0, 41)
            if #h < 42 or string.byte(h, 2) ~= 1 or string.sub(h, 3, 10) ~= ARGV[1] then return 0 end
            local now = num(ARGV[3], 1)
            local exp = num(h, 35)
            if exp <= now then return 0 end
            redis.call('SETRANGE', KEYS[1], 10, ARGV[2])
            redis.call('PEXPIRE', KEYS[1], px(exp, num(ARGV[2], 1), now, tonumber(ARGV[4])))
            return 1
            """),
    /** KEYS[1]; ARGV: channel. Returns 1 if a record was deleted. */
    DELETE("""
            local n = redis.call('DEL', KEYS[1])
            if n == 1 then redis.call('PUBLISH', ARGV[1], 'deleted') end
            return n
            """),
    /** KEYS[1]; ARGV: now. Deletes the record if it expired or its lease ended; returns 1 if so. */
    PURGE("""
            local h = redis.call('GETRANGE', KEYS[1], 0, 41)
            if #h < 42 then return 0 end
            local now = num(ARGV[1], 1)
            if num(h, 35) <= now or (string.byte(h, 2) == 1 and num(h, 11) <= now) then
              redis.call('DEL', KEYS[1])
              return 1
            end
            return 0
            """);

    private static final String HELPERS = """
            local function num(s, i)
              local n = 0
              for j = i, i + 7 do n = n * 256 + string.byte(s, j) end
              return n
            end
            local function inc(t)
              local b = {string.byte(t, 1, 8)}
              local i = 8
              while i >= 1 do
                if b[i] == 255 then b[i] = 0; i = i - 1 else b[i] = b[i] + 1; break end
              end
              return string.char(unpack(b))
            end
            local function px(exp, lease, now, grace)
              local p = exp - now
              if lease then
                local q = lease - now + grace
                if q < p then p = q end
              end
              if p < 1 then p = 1 end
              return string.format('%.0f', p)
            end
            """;

    private final String source;
    private final String sha;

    Scripts(String body) {
        this.source = "-- semel " + name().toLowerCase(java.util.Locale.ROOT) + "\n" + HELPERS + body;
        this.sha = sha1(source);
    }

    String source() {
        return source;
    }

    String sha() {
        return sha;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every Java platform", e);
        }
    }
}
