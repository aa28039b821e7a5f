#!/usr/bin/env python3
"""Writes the Redis protocol for one step of run.sh to standard output (see run.sh).

The scripts are read from Scripts.java, so the figures follow the code. Every step works on
N records "<prefix><i>", written in progress by the step "prep" as RecordCodec lays them out.
"""
import hashlib
import re
import struct
import sys
import textwrap
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3] / "semel-store-redis/src/main/java/dev/semel/redis/Scripts.java"
text = SOURCE.read_text()


def block(pattern):
    return textwrap.dedent(re.search(pattern, text, re.S).group(1))


HELPERS = block(r'HELPERS = """\n(.*?)"""')
COMPLETE = block(r'COMPLETE\("""\n(.*?)"""\)')
GET_HEADER = "local h = redis.call('GETRANGE', KEYS[1], 0, 41)\n"
CHECKS = (GET_HEADER + "if #h < 42 or string.byte(h, 2) ~= 1 or string.sub(h, 3, 10) ~= ARGV[1] then return 0 end\n"
          "local now = num(ARGV[2], 1)\nif num(h, 35) <= now then return 0 end\n")
SCRIPTS = {
    # Semel's completion, exactly as the store sends it (the engine's script source)
    "complete": "-- semel complete\n" + HELPERS + COMPLETE,
    # its parts: each adds one step to the one before it
    "empty": HELPERS + "return 1\n",
    "read-header": HELPERS + GET_HEADER + "return 1\n",
    "checks": HELPERS + CHECKS + "return 1\n",
    "checks+setrange": HELPERS + CHECKS + "redis.call('SETRANGE', KEYS[1], 1, string.char(2))\n"
                       "redis.call('SETRANGE', KEYS[1], 26, ARGV[2] .. ARGV[3])\nreturn 1\n",
    "checks+append": HELPERS + CHECKS + "redis.call('APPEND', KEYS[1], ARGV[4])\nreturn 1\n",
    # one rewrite of the header instead of two SETRANGE: what merging them would save
    "complete-one-setrange": HELPERS + CHECKS
    + "redis.call('SETRANGE', KEYS[1], 0, string.sub(h, 1, 1) .. string.char(2) .. string.sub(h, 3, 26) .. ARGV[2] .. ARGV[3])\n"
    "redis.call('APPEND', KEYS[1], ARGV[4])\nredis.call('PEXPIRE', KEYS[1], px(num(ARGV[3], 1), nil, now, 0))\n"
    "redis.call('PUBLISH', ARGV[5], 'completed')\nreturn 1\n",
}


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def main():
    step, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    now = 1_800_000_000_000
    token = struct.pack(">q", 7)
    # an in-progress record as RecordCodec writes it: header, fingerprint, owner, key, scope
    record = (bytes([1, 1]) + token + struct.pack(">qqqq", now + 30_000, now, 0, now + 86_400_000) + b"F" * 32
              + b"\x00\x1binstance-1-2c9f1e7a-4b1d-pid\x00\x18pay-1764915000000-000042\x00\x15POST /payments caller")
    # a stored answer like the benchmark app's: 201, one header, an 80-byte JSON body
    body = b'{"id":"pay_000000000042","amount":1250,"currency":"EUR","status":"created"}     '
    answer = (struct.pack(">HBH", 201, 1, 1) + struct.pack(">H", 12) + b"Content-Type" + struct.pack(">I", 16)
              + b"application/json" + struct.pack(">I", len(body)) + body)
    write = sys.stdout.buffer.write
    if step == "load":
        for source in SCRIPTS.values():
            write(resp("SCRIPT", "LOAD", source))
    elif step == "prep":
        for i in range(n):
            write(resp("SET", prefix + b"%d" % i, record, "PX", "600000"))
    elif step == "set":  # the naive filter's completion: one SET of the whole answer
        for i in range(n):
            write(resp("SET", prefix + b"%d" % i, record + answer, "PX", "86400000"))
    else:
        sha = hashlib.sha1(SCRIPTS[step].encode()).hexdigest()
        for i in range(n):
            write(resp("EVALSHA", sha, "1", prefix + b"%d" % i, token, struct.pack(">q", now + 5),
                       struct.pack(">q", now + 86_400_000), answer, b"semel-script-cost-channel:%d" % i))


if __name__ == "__main__":
    main()
