"""Name the password-hash scheme of a stored value from its prefix, and nothing else.

Hand-written: the prefixes are Dovecot's ``{SCHEME}`` tags and the modular-crypt
``$id$`` identifiers, a fixed table. The only thing that leaves :func:`scheme_of` is a
name from that table (unknown tags become ``UNKNOWN-PREFIX``), so a cleartext password
that happens to look like ``{secret}...`` cannot leak through the scheme name.
"""

from __future__ import annotations

import re

# Dovecot password scheme tags (doc.dovecot.org "Password schemes"), aliases folded.
_DOVECOT = {
    "SHA512-CRYPT": "SHA512-CRYPT",
    "SHA256-CRYPT": "SHA256-CRYPT",
    "MD5-CRYPT": "MD5-CRYPT",
    "MD5": "MD5-CRYPT",  # Dovecot's {MD5} is an alias of MD5-CRYPT
    "BLF-CRYPT": "BLF-CRYPT",
    "ARGON2I": "ARGON2I",
    "ARGON2ID": "ARGON2ID",
    "CRYPT": "DES-CRYPT",
    "DES-CRYPT": "DES-CRYPT",
    "PBKDF2": "PBKDF2",
    "SCRAM-SHA-1": "SCRAM-SHA-1",
    "SCRAM-SHA-256": "SCRAM-SHA-256",
    "SSHA": "SSHA",
    "SSHA256": "SSHA256",
    "SSHA512": "SSHA512",
    "SMD5": "SMD5",
    "SHA": "SHA1",
    "SHA1": "SHA1",
    "SHA256": "SHA256",
    "SHA512": "SHA512",
    "PLAIN-MD5": "PLAIN-MD5",
    "LDAP-MD5": "PLAIN-MD5",
    "CRAM-MD5": "CRAM-MD5",
    "DIGEST-MD5": "DIGEST-MD5",
    "HMAC-MD5": "CRAM-MD5",
    "NTLM": "NTLM",
    "LANMAN": "LANMAN",
    "RPA": "RPA",
    "OTP": "OTP",
    "PLAIN": "PLAIN",
    "CLEARTEXT": "PLAIN",
    "CLEAR": "PLAIN",
    "PLAIN-TRUNC": "PLAIN",
}
# modular crypt format ids
_CRYPT = {
    "1": "MD5-CRYPT",
    "apr1": "MD5-CRYPT",
    "5": "SHA256-CRYPT",
    "6": "SHA512-CRYPT",
    "2": "BLF-CRYPT",
    "2a": "BLF-CRYPT",
    "2b": "BLF-CRYPT",
    "2x": "BLF-CRYPT",
    "2y": "BLF-CRYPT",
    "argon2i": "ARGON2I",
    "argon2id": "ARGON2ID",
    "argon2d": "ARGON2D",
    "y": "YESCRYPT",
    "gy": "YESCRYPT",
    "7": "SCRYPT",
    "sha1": "SHA1-CRYPT",
    "md5": "MD5-CRYPT",
    "pbkdf2-sha256": "PBKDF2",
    "pbkdf2-sha512": "PBKDF2",
    "pbkdf2": "PBKDF2",
}
_TAG = re.compile(r"^\{([A-Za-z0-9._-]{1,32})\}")
_MCF = re.compile(r"^\$([A-Za-z0-9-]{1,20})\$")
_DES = re.compile(r"^[./0-9A-Za-z]{13}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HEX_LENGTHS = {32: "PLAIN-MD5", 40: "SHA1", 64: "SHA256", 128: "SHA512"}

#: Schemes a reviewer should treat as weak (cleartext, unsalted or broken digests, MD5-based crypt).
WEAK_SCHEMES = frozenset(
    {
        "PLAIN",
        "PLAIN-MD5",
        "MD5-CRYPT",
        "SMD5",
        "SHA1",
        "SHA256",
        "SHA512",
        "SSHA",
        "DES-CRYPT",
        "CRAM-MD5",
        "DIGEST-MD5",
        "NTLM",
        "LANMAN",
        "SHA1-CRYPT",
        "RPA",
        "OTP",
    }
)


def scheme_of(value: str | bytes | None) -> str:
    """The scheme name of one stored password value (``EMPTY`` for none, ``PLAIN`` for an unprefixed string).

    An unprefixed value that is no known digest shape is counted as ``PLAIN``: Dovecot
    and PostfixAdmin store cleartext that way (and a hash scheme would carry a prefix).
    """
    if value is None:
        return "EMPTY"
    text = value.decode("latin-1") if isinstance(value, bytes | bytearray | memoryview) else str(value)
    text = text.strip()
    if not text:
        return "EMPTY"
    m = _TAG.match(text)
    if m:
        tag = m.group(1).upper()
        # Dovecot's scheme may carry an encoding suffix: {SHA256.b64}, {SSHA.HEX}
        base = tag.split(".", 1)[0]
        rest = text[m.end() :]
        if base == "CRYPT" and rest.startswith("$"):
            return _mcf(rest) or "DES-CRYPT"
        return _DOVECOT.get(base, "UNKNOWN-PREFIX")
    if text.startswith("$"):
        return _mcf(text) or "UNKNOWN-CRYPT"
    if _HEX.match(text) and len(text) in _HEX_LENGTHS:
        return _HEX_LENGTHS[len(text)]
    if _DES.match(text):
        return "DES-CRYPT"
    return "PLAIN"


def _mcf(text: str) -> str | None:
    m = _MCF.match(text)
    return _CRYPT.get(m.group(1).lower()) if m else None
