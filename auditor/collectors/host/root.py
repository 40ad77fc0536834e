"""Safe access to files inside a host root (``/``, or an unpacked snapshot of a server).

A snapshot is untrusted: a symlink ``/etc/postfix/main.cf -> /etc/shadow`` must mean the
snapshot's ``/etc/shadow``, and ``../../../../home/me/.ssh/id_rsa`` must not be readable
at all. So paths are resolved one component at a time, absolute link targets are re-rooted,
and any ``..`` that would climb above the root is refused. Everything that can go wrong
(loops, FIFOs, devices, permission, size) comes back as an error string, never an exception,
so one bad file never stops the audit.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from auditor.collectors.host.templates import scan
from auditor.deadline import Deadline
from auditor.evidence.host import TemplateFile

#: The reason a path the host root does not hold is given (readers report "<path>: not found").
NOT_FOUND = "not found"

MAX_CONFIG_BYTES = 5 * 1024 * 1024
MAX_SYMLINK_HOPS = 40
MAX_GLOB_MATCHES = 2000
_MAGIC = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class FileText:
    """A file's decoded text, or why it could not be read (``error`` is ``path: reason``)."""

    path: str
    text: str | None
    error: str | None = None


def _parts(path: str) -> list[str]:
    return [p for p in PurePosixPath("/" + path.lstrip("/")).parts[1:] if p not in ("", ".")]


def norm(path: str) -> str:
    """Root-relative absolute form of ``path`` for display (``..`` collapsed, links not resolved)."""
    return posixpath.normpath("/" + path.lstrip("/")).replace("//", "/")


class HostRoot:
    """A directory treated as ``/`` of the audited host; all paths given to it are root-relative."""

    def __init__(
        self, root: Path | str, *, max_bytes: int = MAX_CONFIG_BYTES, deadline: Deadline | None = None
    ) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        #: The run's time budget: once it has passed, files are no longer read (an error says so).
        self.deadline = deadline or Deadline()
        #: Files read so far that are unrendered templates (filled by :meth:`read_text`).
        self.templates: dict[str, TemplateFile] = {}

    def __repr__(self) -> str:
        return f"HostRoot({str(self.root)!r})"

    def resolve(self, path: str) -> tuple[Path | None, str | None]:
        """The real on-disk path for root-relative ``path``, or an error reason.

        The last component may be missing (``None`` path with reason ``not found``).
        """
        todo = _parts(path)
        done: list[str] = []
        hops = 0
        while todo:
            comp = todo.pop(0)
            if comp == "..":
                if not done:
                    return None, "path escapes the host root"
                done.pop()
                continue
            candidate = self.root.joinpath(*done, comp)
            try:
                st = os.lstat(candidate)
            except FileNotFoundError:
                return None, NOT_FOUND
            except OSError as exc:
                return None, _reason(exc)
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None, "too many levels of symbolic links (loop?)"
                try:
                    target = os.readlink(candidate)
                except OSError as exc:
                    return None, _reason(exc)
                if target.startswith("/"):
                    done = []
                target_parts = [p for p in target.split("/") if p not in ("", ".")]
                todo = target_parts + todo
                continue
            if todo and not stat.S_ISDIR(st.st_mode):
                return None, "not a directory"
            done.append(comp)
        return self.root.joinpath(*done), None

    def exists(self, path: str) -> bool:
        real, _ = self.resolve(path)
        return real is not None

    def lexists(self, path: str) -> bool:
        """True if the entry itself is present, even as a broken, looping or escaping symlink.

        Lets callers tell "software not installed" apart from "its config cannot be read".
        """
        parent, _, name = norm(path).rpartition("/")
        real, _ = self.resolve(parent or "/")
        return real is not None and bool(name) and os.path.lexists(real / name)

    def is_dir(self, path: str) -> bool:
        real, _ = self.resolve(path)
        return real is not None and real.is_dir()

    def read_text(self, path: str, *, max_bytes: int | None = None, native: frozenset[str] = frozenset()) -> FileText:
        """Read a regular file's text (UTF-8, invalid bytes replaced), bounded in size.

        A file that turns out to be an unrendered template is noted in :attr:`templates`
        (``native``: placeholder shapes the file's own format uses, see :mod:`auditor.collectors.host.templates`).
        """
        shown = norm(path)
        limit = self.max_bytes if max_bytes is None else max_bytes
        if self.deadline.expired:
            return FileText(shown, None, f"{shown}: not read: time budget (--timeout) exhausted")
        real, why = self.resolve(path)
        if real is None:
            return FileText(shown, None, f"{shown}: {why}")
        try:
            st = os.lstat(real)
            if not stat.S_ISREG(st.st_mode):
                return FileText(shown, None, f"{shown}: not a regular file ({file_kind(st.st_mode)})")
            if st.st_size > limit:
                return FileText(shown, None, f"{shown}: file too large ({st.st_size} bytes > {limit})")
            with open_regular(real) as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            return FileText(shown, None, f"{shown}: {_reason(exc)}")
        if len(data) > limit:
            return FileText(shown, None, f"{shown}: file too large (> {limit} bytes)")
        text = data.decode("utf-8", errors="replace")
        found = scan(shown, text, native)
        if found is not None:
            self.templates[shown] = found
        return FileText(shown, text)

    def listdir(self, path: str) -> tuple[list[str], str | None]:
        """Sorted entry names of a directory inside the root, or an error reason."""
        real, why = self.resolve(path)
        if real is None:
            return [], why
        try:
            with os.scandir(real) as it:
                return sorted(e.name for e in it), None
        except OSError as exc:
            return [], _reason(exc)

    def glob(self, pattern: str) -> list[str]:
        """Root-relative paths matching a shell glob (``*`` never crosses ``/``), sorted per level."""
        results = [""]
        for comp in _parts(pattern):
            nxt: list[str] = []
            for base in results:
                if _MAGIC.isdisjoint(comp):
                    nxt.append(f"{base}/{comp}")
                    continue
                names, _ = self.listdir(base or "/")
                hidden_ok = comp.startswith(".")
                nxt.extend(f"{base}/{n}" for n in names if fnmatch.fnmatchcase(n, comp) and (hidden_ok or n[0] != "."))
            results = nxt[:MAX_GLOB_MATCHES]
        return [r for r in results if r and self.exists(r)]


class NotRegularFile(OSError):
    """What was opened is a FIFO, device, socket or directory: its kind is the message."""


def open_regular(real: Path) -> BinaryIO:
    """Open a path already resolved inside the root for binary reading.

    ``O_NOFOLLOW`` so a symlink swapped in after resolving cannot lead outside the root,
    ``O_NONBLOCK`` so a FIFO cannot hang the audit; anything but a regular file raises
    :class:`NotRegularFile`. Every reader of host files opens them here.
    """
    handle = os.fdopen(os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
    mode = os.fstat(handle.fileno()).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        raise NotRegularFile(f"not a regular file ({file_kind(mode)})")
    return handle


def as_root(root: HostRoot | Path | str) -> HostRoot:
    """Accept a ready HostRoot or a directory path (convenience for the top-level helpers)."""
    return root if isinstance(root, HostRoot) else HostRoot(root)


def path_match(pattern: str, path: str) -> bool:
    """Shell-glob match where wildcards stay within one path component (logrotate/rsyslog style)."""
    pp, tp = _parts(pattern), _parts(path)
    return len(pp) == len(tp) and all(fnmatch.fnmatchcase(t, p) for p, t in zip(pp, tp, strict=True))


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words, for error messages."""
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "directory"
    return "special file"


def _reason(exc: OSError) -> str:
    if isinstance(exc, NotRegularFile):
        return str(exc)
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links (loop?)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or type(exc).__name__
