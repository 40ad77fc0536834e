"""Passwords auditor needs (SMTP delivery, the user database), read so they cannot be abused.

A password on the command line is visible to every local user in ``/proc/PID/cmdline``,
so passwords come from an environment variable or a file. Both are ways for whoever writes
an ``auditor run`` config to make auditor *send* something to a server the same config
names, so both are held to what a password is:

* a password file is one short line (``password_file = "/etc/shadow"`` is refused instead
  of being sent whole as an AUTH password);
* in a config file, a password variable must be named ``AUDITOR_*`` or be listed in the
  file's own ``allow_env`` (so a config cannot send ``CI_JOB_TOKEN`` or ``AWS_SECRET_*``
  away by naming it). On the command line the caller names the variable and is trusted.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from auditor.safeload import InputFileError, read_bytes

#: Password variables a config file may name without listing them in ``allow_env``.
ENV_PREFIX = "AUDITOR_"
#: A password (or passphrase) is short; a longer file is something else.
MAX_SECRET_BYTES = 1024


class CredentialError(Exception):
    """A password source is unusable; the message names it, never the value."""


def read_secret_file(path: Path, what: str) -> str:
    """The one line of a password file (a trailing newline is dropped); anything else is refused."""
    try:
        data = read_bytes(path, max_bytes=MAX_SECRET_BYTES, kind=f"{what} password")
    except InputFileError as exc:
        raise CredentialError(str(exc)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(f"{path}: the {what} password file is not UTF-8 text") from None
    line = text[:-1] if text.endswith("\n") else text
    line = line[:-1] if line.endswith("\r") else line
    if not line.strip():
        raise CredentialError(f"{path}: the {what} password file is empty")
    if "\n" in line or "\r" in line or "\x00" in line:
        raise CredentialError(f"{path}: a {what} password file must hold one line (the password), nothing else")
    return line


def check_env_name(name: str, allowed: Collection[str], what: str) -> None:
    """A config file may name ``AUDITOR_*`` variables, or those it lists in ``allow_env``."""
    if not name.startswith(ENV_PREFIX) and name not in allowed:
        raise CredentialError(
            f"{what} password variable {name!r} is neither named {ENV_PREFIX}* nor listed in allow_env "
            "(a config file may not send other variables, such as CI tokens, to a server)"
        )


def secret_from_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise CredentialError(f"environment variable {name} ({what} password) is not set")
    return value
