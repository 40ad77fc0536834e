"""Which configuration file a daemon is started with: ``-f PATH`` in its systemd unit or defaults file.

A host may start ``rsyslogd -f /etc/rsyslog-mail.conf`` (a systemd drop-in replacing ``ExecStart``,
or ``RSYSLOGD_OPTIONS`` in ``/etc/default/rsyslog``); reading ``/etc/rsyslog.conf`` then describes
a configuration nobody runs. Later sources win as systemd and the init scripts apply them: the
defaults file (whose variable the unit's ``ExecStart`` expands), then the vendor unit, then
``/etc/systemd/system`` and its drop-ins. Hand-written: a few ``key=value`` lines, no library.
"""

from __future__ import annotations

import re
import shlex

from auditor.collectors.host.root import HostRoot
from auditor.evidence.settings import Setting

_UNIT_DIRS = ("/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system")


def _config_flag(words: list[str], flag: str) -> str | None:
    for i, word in enumerate(words):
        if word == flag and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(flag) and len(word) > len(flag):  # -f/etc/x.conf
            return word[len(flag) :]
    return None


def shell_words(value: str, *, comments: bool = False) -> list[str]:
    """Words as the shell splits them (quotes removed); unbalanced quotes fall back to whitespace."""
    try:
        return shlex.split(value, comments=comments)
    except ValueError:
        return value.split()


def start_config(
    root: HostRoot, daemon: str, defaults: tuple[str, ...], variable: str, flag: str = "-f"
) -> Setting | None:
    """The ``flag`` argument ``daemon`` is started with, as a setting naming the line that gives it.

    ``defaults``: environment files (``/etc/default/rsyslog``); ``variable``: their options variable."""
    found: Setting | None = None
    for path in defaults:
        got = root.read_text(path) if root.exists(path) else None
        for number, line in enumerate((got.text or "").splitlines() if got else [], 1):
            m = re.match(rf"^\s*(?:export\s+)?{re.escape(variable)}\s*=\s*(.*)$", line)
            if m and got is not None:
                value = _config_flag(shell_words(m.group(1).strip().strip("\"'")), flag)
                found = Setting(f"{daemon} {flag}", value, got.path, number) if value else found
    units = [f"{d}/{daemon}.service" for d in _UNIT_DIRS]
    units += [p for d in _UNIT_DIRS for p in root.glob(f"{d}/{daemon}.service.d/*.conf")]
    for path in units:
        got = root.read_text(path) if root.exists(path) else None
        for number, line in enumerate((got.text or "").splitlines() if got else [], 1):
            m = re.match(r"^\s*ExecStart\s*=\s*[-@+!:]*(.*)$", line)
            if m is None or got is None:
                continue
            words = shell_words(m.group(1))
            if not words:  # "ExecStart=" resets the list in a drop-in
                continue
            if daemon in words[0].rsplit("/", 1)[-1]:
                value = _config_flag(words, flag)
                if value and not value.startswith("$"):
                    found = Setting(f"{daemon} {flag}", value, got.path, number)
    return found
