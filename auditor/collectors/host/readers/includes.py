"""Reading a configuration spread over included files, with a bound on their number.

rsyslog, logrotate, nginx and Apache all pull in whole directories (``include``,
``$IncludeConfig``, ``IncludeOptional``); a loop or a glob over a huge directory must
not make a reader run away, so every such reader opens its files through this class.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.collectors.host.root import FileText, HostRoot
from auditor.evidence.settings import err

MAX_FILES = 1000


class IncludingReader:
    """Base of the readers that follow includes: the files read, the errors, the bound.

    ``NATIVE``: placeholder shapes the format itself uses (never taken for a template).
    """

    NATIVE: frozenset[str] = frozenset()

    def __init__(self, root: HostRoot) -> None:
        self.root = root
        self.files: list[str] = []
        self.truncated = False
        self.errors: list[str] = []

    def open_config(self, path: str) -> FileText | None:
        """``path`` read inside the root, or ``None`` (error recorded, or bound reached)."""
        if len(self.files) >= MAX_FILES:
            if not self.truncated:
                self.errors.append(err(path, None, f"more than {MAX_FILES} config files; rest skipped"))
            self.truncated = True
            return None
        got = self.root.read_text(path, native=self.NATIVE)
        if got.text is None:
            self.errors.append(got.error or path)
            return None
        self.files.append(got.path)
        return got


def logical_lines(text: str, joiner: str = "") -> Iterator[tuple[int, str]]:
    """(first line number, stripped line) of every non-blank, non-comment logical line.

    A trailing backslash continues a line onto the next (rsyslog, Apache); ``joiner``
    is what replaces it: nothing for rsyslog, a space for Apache.
    """
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        while line.rstrip().endswith("\\") and i < len(lines):
            line = line.rstrip()[:-1] + joiner + lines[i].strip()
            i += 1
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line
