"""Reading a configuration spread over included files, within bounds on files, bytes and time.

rsyslog, logrotate, nginx, Apache, Dovecot and PHP configs all pull in other files or whole
directories (``include``, ``$IncludeConfig``, ``IncludeOptional``, ``!include``); a loop, a
file that includes itself twice (2^depth reads) or a glob over a huge directory must not
make a reader run away, so every such reader opens its files through this class:

* each file is read from disk once, tracked by its real path (links and ``..`` resolved);
  a later include of the same file is served from memory, and a file included more than
  ``MAX_REPEATS`` times is not parsed again (an include loop);
* at most ``MAX_FILES`` distinct files and ``MAX_PARSED_BYTES`` of text parsed per reader
  (a snippet included in many server blocks counts each time);
* nothing is opened once the host root's deadline (``--timeout``) has passed.

Each bound that is reached is one error naming the file, and the reader keeps what it has.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.collectors.host.root import FileText, HostRoot, norm
from auditor.evidence.settings import err

MAX_FILES = 1000
MAX_PARSED_BYTES = 8 * 1024 * 1024
MAX_REPEATS = 32


class IncludingReader:
    """Base of the readers that follow includes: the files read, the errors, the bound.

    ``NATIVE``: placeholder shapes the format itself uses (never taken for a template).
    """

    NATIVE: frozenset[str] = frozenset()

    def __init__(self, root: HostRoot) -> None:
        self.root = root
        self.files: list[str] = []  # distinct files read, in the order first read
        self.truncated = False
        self.errors: list[str] = []
        self.parsed = 0
        self._texts: dict[str, FileText] = {}  # by real path
        self._times: dict[str, int] = {}

    def open_config(self, path: str) -> FileText | None:
        """``path`` read inside the root, or ``None`` (error recorded, or a bound reached)."""
        if self.truncated:
            return None
        if self.root.deadline.expired:
            return self._stop(path, "time budget (--timeout) exhausted; this and later files not read")
        real, _ = self.root.resolve(path)
        key = str(real) if real is not None else norm(path)
        times = self._times.get(key, 0)
        if times >= MAX_REPEATS:
            if times == MAX_REPEATS:
                reason = f"included more than {MAX_REPEATS} times (an include loop?); not read again"
                self.errors.append(err(path, None, reason))
                self._times[key] = times + 1
            return None
        got = self._texts.get(key)
        if got is None:
            if len(self._texts) >= MAX_FILES:
                return self._stop(path, f"more than {MAX_FILES} config files; rest skipped")
            got = self.root.read_text(path, native=self.NATIVE)
            if got.text is None:
                self.errors.append(got.error or path)
                return None
            self._texts[key] = got
            self.files.append(got.path)
        text = got.text or ""
        if self.parsed + len(text) > MAX_PARSED_BYTES:
            limit = f"{MAX_PARSED_BYTES // (1024 * 1024)} MiB"
            return self._stop(
                path,
                f"more than {limit} of configuration through includes (files included again and again?); rest skipped",
            )
        self.parsed += len(text)
        self._times[key] = times + 1
        return got

    def _stop(self, path: str, reason: str) -> FileText | None:
        self.errors.append(err(path, None, reason))
        self.truncated = True
        return None


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
