"""Private key material built from the seeded random source: real RSA/DSA/EC/Ed25519 keys in
PKCS#1, SEC1, PKCS#8, OpenSSH, PuTTY and OpenPGP armour.

Keys are computed in pure Python (no ``openssl`` call) so that a seed always gives the same
corpus; the structures follow RFC 8017 (PKCS#1), RFC 5915 (SEC1), RFC 5208/5958 (PKCS#8),
OpenSSH's PROTOCOL.key, PuTTY's PPK v3 description and RFC 4880 (armour and CRC-24).
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct

from common import Rand

# --- DER ----------------------------------------------------------------------------------------


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def der_int(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
    return tlv(0x02, body)


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def octets(body: bytes) -> bytes:
    return tlv(0x04, body)


def oid(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    body = bytearray([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


NULL = b"\x05\x00"


def pem(label: str, der: bytes, headers: str = "") -> str:
    text = base64.b64encode(der).decode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{headers}{body}\n-----END {label}-----"


# --- primes and RSA/DSA -------------------------------------------------------------------------

_SMALL = [p for p in range(3, 20000, 2) if all(p % q for q in range(3, int(p**0.5) + 1, 2))]


def _probable_prime(n: int, rng: Rand, rounds: int = 8) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for i in range(rounds):
        a = 2 if i == 0 else rng.randrange(3, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


_SMALL_PRODUCT = math.prod(_SMALL[:300])


def prime(bits: int, rng: Rand) -> int:
    """Sieve a window after a random odd start, then Miller-Rabin the survivors in order."""
    while True:
        start = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        window = 4096
        alive = bytearray([1]) * window  # alive[i] -> start + 2 i
        for p in _SMALL:
            first = (-start * pow(2, -1, p)) % p
            alive[first::p] = bytes(len(range(first, window, p)))
        for i in range(window):
            if alive[i] and _probable_prime(start + 2 * i, rng):
                return start + 2 * i


def rsa_numbers(rng: Rand, bits: int = 2048) -> tuple[int, ...]:
    e = 65537
    while True:
        p, q = prime(bits // 2, rng), prime(bits // 2, rng)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    if p < q:
        p, q = q, p
    n, d = p * q, pow(e, -1, phi)
    return n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)


def rsa_pkcs1(rng: Rand, bits: int = 2048) -> bytes:
    return seq(der_int(0), *(der_int(x) for x in rsa_numbers(rng, bits)))


def rsa_public_spki(rng: Rand, bits: int = 2048) -> bytes:
    n, e = rsa_numbers(rng, bits)[:2]
    return seq(seq(oid("1.2.840.113549.1.1.1"), NULL), tlv(0x03, b"\x00" + seq(der_int(n), der_int(e))))


def pkcs8(algorithm: bytes, private: bytes) -> bytes:
    return seq(der_int(0), algorithm, octets(private))


def rsa_pkcs8(rng: Rand) -> bytes:
    return pkcs8(seq(oid("1.2.840.113549.1.1.1"), NULL), rsa_pkcs1(rng))


def dsa_der(rng: Rand) -> bytes:
    q = prime(160, rng)
    while True:
        k = rng.getrandbits(1024 - 160) | (1 << (1024 - 161))
        p = k * q + 1
        if p.bit_length() == 1024 and math.gcd(p, _SMALL_PRODUCT) == 1 and _probable_prime(p, rng):
            break
    while True:
        g = pow(rng.randrange(2, p - 1), (p - 1) // q, p)
        if g > 1:
            break
    x = rng.randrange(1, q)
    return seq(der_int(0), der_int(p), der_int(q), der_int(g), der_int(pow(g, x, p)), der_int(x))


# --- P-256 ----------------------------------------------------------------------------------------

_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_A = _P - 3
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _ec_add(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % _P == 0:
        return None
    if a == b:
        lam = (3 * a[0] * a[0] + _A) * pow(2 * a[1], -1, _P) % _P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, _P) % _P
    x = (lam * lam - a[0] - b[0]) % _P
    return x, (lam * (a[0] - x) - a[1]) % _P


def _ec_mul(k: int) -> tuple[int, int]:
    result, addend = None, _G
    while k:
        if k & 1:
            result = _ec_add(result, addend)
        addend = _ec_add(addend, addend)
        k >>= 1
    assert result is not None
    return result


def ec_sec1(rng: Rand, with_params: bool = True) -> bytes:
    d = rng.randrange(1, _N)
    x, y = _ec_mul(d)
    point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    parts = [der_int(1), octets(d.to_bytes(32, "big"))]
    if with_params:
        parts.append(tlv(0xA0, oid("1.2.840.10045.3.1.7")))
    parts.append(tlv(0xA1, tlv(0x03, b"\x00" + point)))
    return seq(*parts)


def ec_pkcs8(rng: Rand) -> bytes:
    return pkcs8(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), ec_sec1(rng, with_params=False))


def ed25519_pkcs8(rng: Rand) -> bytes:
    return pkcs8(seq(oid("1.3.101.112")), octets(rng.raw(32)))


def encrypted_pkcs8(rng: Rand) -> bytes:
    """PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) around ciphertext: random bytes, as ciphertext looks."""
    kdf = seq(
        oid("1.2.840.113549.1.5.12"),
        seq(octets(rng.raw(16)), der_int(2048), seq(oid("1.2.840.113549.2.9"), NULL)),
    )
    cipher = seq(oid("2.16.840.1.101.3.4.1.42"), octets(rng.raw(16)))
    algorithm = seq(oid("1.2.840.113549.1.5.13"), seq(kdf, cipher))
    return seq(algorithm, octets(rng.raw(16 * rng.randint(70, 80))))


# --- Ed25519 public keys (RFC 8032 section 5.1.5) -------------------------------------------------

_EP = 2**255 - 19
_ED = -121665 * pow(121666, _EP - 2, _EP) % _EP
_EI = pow(2, (_EP - 1) // 4, _EP)


def _xrecover(y: int) -> int:
    xx = (y * y - 1) * pow(_ED * y * y + 1, _EP - 2, _EP)
    x = pow(xx, (_EP + 3) // 8, _EP)
    if (x * x - xx) % _EP:
        x = x * _EI % _EP
    return _EP - x if x % 2 else x


_BY = 4 * pow(5, _EP - 2, _EP) % _EP
_BX = _xrecover(_BY)
_B = (_BX, _BY, 1, _BX * _BY % _EP)  # extended coordinates (X, Y, Z, T)


def _ed_add(p: tuple[int, int, int, int], q: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _EP
    b = (p[1] + p[0]) * (q[1] + q[0]) % _EP
    c = 2 * p[3] * q[3] * _ED % _EP
    d = 2 * p[2] * q[2] % _EP
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _EP, g * h % _EP, f * g % _EP, e * h % _EP


def ed25519_public(seed: bytes) -> bytes:
    h = hashlib.sha512(seed).digest()
    a = 2**254 + sum(2**i * ((h[i // 8] >> (i % 8)) & 1) for i in range(3, 254))
    result, addend = (0, 1, 1, 0), _B
    while a:
        if a & 1:
            result = _ed_add(result, addend)
        addend = _ed_add(addend, addend)
        a >>= 1
    zinv = pow(result[2], _EP - 2, _EP)
    x, y = result[0] * zinv % _EP, result[1] * zinv % _EP
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


# --- OpenSSH and PuTTY ----------------------------------------------------------------------------


def _s(data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return struct.pack(">I", len(raw)) + raw


def ssh_ed25519_pair(rng: Rand) -> tuple[bytes, bytes, bytes]:
    seed = rng.raw(32)
    public = ed25519_public(seed)
    return seed, public, _s("ssh-ed25519") + _s(public)


def openssh_private(rng: Rand, comment: str, encrypted: bool = False) -> str:
    seed, public, blob = ssh_ed25519_pair(rng)
    check = rng.raw(4)
    private = check + check + _s("ssh-ed25519") + _s(public) + _s(seed + public) + _s(comment)
    pad = 1
    while len(private) % (16 if encrypted else 8):
        private += bytes([pad])
        pad += 1
    if encrypted:
        header = _s("aes256-ctr") + _s("bcrypt") + _s(_s(rng.raw(16)) + struct.pack(">I", 16))
        private = rng.raw(len(private))  # ciphertext
    else:
        header = _s("none") + _s("none") + _s(b"")
    data = b"openssh-key-v1\x00" + header + struct.pack(">I", 1) + _s(blob) + _s(private)
    text = base64.b64encode(data).decode()
    body = "\n".join(text[i : i + 70] for i in range(0, len(text), 70))
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"


def ssh_public_line(rng: Rand, comment: str) -> str:
    blob = ssh_ed25519_pair(rng)[2]
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def ssh_rsa_public_line(rng: Rand, comment: str) -> str:
    n, e = rsa_numbers(rng, 2048)[:2]
    nb = n.to_bytes(257, "big")
    blob = _s("ssh-rsa") + _s(e.to_bytes(3, "big")) + _s(nb)
    return f"ssh-rsa {base64.b64encode(blob).decode()} {comment}"


def _lines(data: bytes) -> list[str]:
    text = base64.b64encode(data).decode()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def putty_ppk(rng: Rand, comment: str, encrypted: bool = False) -> str:
    seed, _, blob = ssh_ed25519_pair(rng)
    public_lines = _lines(blob)
    private = _s(seed)
    out = [
        "PuTTY-User-Key-File-3: ssh-ed25519",
        f"Encryption: {'aes256-cbc' if encrypted else 'none'}",
        f"Comment: {comment}",
        f"Public-Lines: {len(public_lines)}",
        *public_lines,
    ]
    if encrypted:
        private = rng.raw(48)
        out += [
            "Key-Derivation: Argon2id",
            "Argon2-Memory: 8192",
            f"Argon2-Passes: {rng.randint(8, 21)}",
            "Argon2-Parallelism: 1",
            f"Argon2-Salt: {rng.hex(32)}",
        ]
    private_lines = _lines(private)
    out += [f"Private-Lines: {len(private_lines)}", *private_lines, f"Private-MAC: {rng.hex(64)}"]
    return "\n".join(out)


# --- OpenPGP armour -------------------------------------------------------------------------------


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def pgp_private(rng: Rand) -> str:
    """A v4 secret-key packet (EdDSA, S2K-protected body) plus a user id packet, armoured."""
    created = struct.pack(">I", rng.randint(1_500_000_000, 1_750_000_000))
    curve = bytes.fromhex("2b06010401da470f01")
    public = b"\x04" + created + b"\x16" + bytes([len(curve)]) + curve + b"\x01\x07\x40" + rng.raw(32)
    body = public + b"\xfe\x07\x03\x02" + rng.raw(8) + b"\xff" + rng.raw(16) + rng.raw(rng.randint(40, 60))
    packet = b"\xc5" + bytes([len(body)]) + body
    uid = f"Release Signing <release@{rng.pick('example.org', 'corp.example', 'build.example.net')}>".encode()
    data = packet + b"\xcd" + bytes([len(uid)]) + uid + b"\xc2" + bytes([80]) + rng.raw(80)
    crc = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode()
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + "\n".join(_lines(data)) + f"\n={crc}\n"
        "-----END PGP PRIVATE KEY BLOCK-----"
    )


def certificate(rng: Rand) -> str:
    """A certificate-shaped DER blob (public data, a hard negative)."""
    der = seq(
        seq(
            tlv(0xA0, der_int(2)),
            der_int(rng.getrandbits(64)),
            seq(oid("1.2.840.113549.1.1.11"), NULL),
            octets(rng.raw(rng.randint(500, 700))),
        ),
        seq(oid("1.2.840.113549.1.1.11"), NULL),
        tlv(0x03, b"\x00" + rng.raw(256)),
    )
    return pem("CERTIFICATE", der)
