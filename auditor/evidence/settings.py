"""Plain value types shared by every host configuration reader.

Every value a reader reports keeps where it came from (root-relative ``file`` and
1-based ``line``) so a later finding can cite ``/etc/logrotate.d/rsyslog:12`` next to
the claim it contradicts. Built-in defaults carry ``default=True`` and line 0, so a
finding can say "not set; the software's default applies" instead of inventing a line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A position in a file inside the host root (``file`` is root-relative, e.g. ``/etc/postfix/main.cf``)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Setting:
    """One configured (or defaulted) value.

    ``scope`` names the enclosing sections for nested formats (e.g. Dovecot's
    ``("remote 127.0.0.1",)``) so a scoped exception is never mistaken for a global.
    ``unrendered``: the line comes from an unrendered template (a placeholder, or inside a
    template branch or loop), so its value is unknown and never graded.
    """

    name: str
    value: str
    file: str
    line: int
    scope: tuple[str, ...] = ()
    default: bool = False
    unrendered: bool = False

    @property
    def source(self) -> SourceRef:
        return SourceRef(self.file, self.line)

    def __str__(self) -> str:
        where = "built-in default" if self.default else str(self.source)
        return f"{self.name} = {self.value} ({where})"


def default_setting(name: str, value: str, software: str) -> Setting:
    """A value the software uses when its configuration says nothing."""
    return Setting(name=name, value=value, file=f"<{software} default>", line=0, default=True)


def err(file: str, line: int | None, reason: str) -> str:
    """Error text in the ``file:line: reason`` form every reader uses."""
    return f"{file}:{line}: {reason}" if line else f"{file}: {reason}"
