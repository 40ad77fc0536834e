"""Recognise secret-bearing setting names and scrub secrets out of free-form values.

Readers drop secrets at the point of reading, so no later stage (bundle, report, log)
can ever leak a database password, a Roundcube ``des_key`` or a Nextcloud salt.
"""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|secret|salt|des_key|api_?key|private_?key|token|credential|ssl_key_password)$",
    re.IGNORECASE,
)
_INLINE = re.compile(r"(?i)\b(password|passwd|pass|pwd|secret)\s*=\s*(\"[^\"]*\"|'[^']*'|\S+)")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9_+.-]*://[^:/@\s]*):[^@/\s]*@")

REDACTED = "<redacted>"


def is_secret_name(name: str) -> bool:
    """True for keys whose values are credentials (``password``, ``dbpassword``, ``secret``, ``des_key``...)."""
    return bool(_SECRET_NAME.search(name.strip().split(":")[0]))


def scrub(value: str) -> str:
    """Remove ``password=...`` pairs, URL userinfo passwords and inline private keys from a value."""
    if "PRIVATE KEY" in value:
        return REDACTED
    value = _INLINE.sub(lambda m: f"{m.group(1)}={REDACTED}", value)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", value)
