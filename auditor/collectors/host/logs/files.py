"""Find a log's current, rotated and compressed files inside a host root and read their heads.

Everything goes through :class:`auditor.collectors.host.root.HostRoot`, so a symlink in an untrusted
snapshot can never lead outside it; files are opened with ``O_NOFOLLOW | O_NONBLOCK``
(a FIFO planted as ``mail.log.1`` cannot hang the audit). Only a bounded head of each
file is decompressed: the oldest entry of a rotated log is its oldest file's first line,
so reading every byte of gigabytes of logs would buy nothing.
"""

from __future__ import annotations

import bz2
import fnmatch
import lzma
import os
import re
import stat
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from auditor.collectors.host.root import HostRoot, NotRegularFile, file_kind, norm, open_regular
from auditor.evidence.stored import HostDataError, LogFileInfo

HEAD_BYTES = 16 * 1024
HEAD_LINES = 200
MAX_FILES_PER_PATTERN = 20_000
MAX_COMPRESSED_INPUT = 4 * 1024 * 1024
_CHUNK = 64 * 1024

_MAGIC_CHARS = frozenset("*?[")
_COMPRESSED_EXT = {".gz": "gz", ".xz": "xz", ".bz2": "bz2", ".zst": "zst", ".lz4": "lz4"}
_NUMERIC = re.compile(r"^(?P<base>.+)\.(?P<n>\d{1,5})$")
_DATED = re.compile(
    r"^(?P<base>.+?)[-._](?P<d>\d{8}|\d{4}-\d{2}-\d{2})(?P<h>\d{2}|-\d{2,10})?(?P<ext>\.[A-Za-z]\w{0,5})?$"
)


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A matched file: its info for the evidence, its real on-disk path and its log stream."""

    info: LogFileInfo
    real: Path
    stream: str
    mtime_epoch: float


def _split_name(name: str) -> tuple[str, str | None, int | None, str | None]:
    """``(stream base, compression by name, rotation index, dateext date)`` of a file name."""
    stem, ext = os.path.splitext(name)
    comp = _COMPRESSED_EXT.get(ext.lower())
    rest = stem if comp else name
    m = _NUMERIC.match(rest)
    if m:
        return m.group("base"), comp, int(m.group("n")), None
    m = _DATED.match(rest)
    if m:
        raw = m.group("d").replace("-", "")
        try:
            day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        except ValueError:
            return rest, comp, 0, None
        return m.group("base") + (m.group("ext") or ""), comp, None, day.isoformat()
    return rest, comp, 0, None


def age_order_key(f: FoundFile) -> tuple[int, str, float]:
    """Sort key putting a stream's OLDEST file first: dated by date, numbered by highest index, live last.

    The file's mtime breaks ties (and orders streams mixing both rotation styles).
    """
    i = f.info
    if i.date_suffix is not None:
        return (0, i.date_suffix, f.mtime_epoch)
    if i.rotation_index:
        return (1, f"{99999 - i.rotation_index:05d}", f.mtime_epoch)
    return (2, "", f.mtime_epoch)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _dirs_for(root: HostRoot, dir_pattern: str) -> list[str]:
    if _MAGIC_CHARS.isdisjoint(dir_pattern):
        return [norm(dir_pattern)]
    return [d for d in root.glob(dir_pattern) if root.is_dir(d)]


def find_files(root: HostRoot, pattern: str, errors: list[HostDataError]) -> tuple[list[FoundFile], bool]:
    """Regular files matching a root-relative glob (wildcards in any component), and whether the list is complete.

    Non-regular matches (FIFOs, directories, sockets) and links that escape the root
    become errors; a missing directory is simply "nothing found" (``missingok``).
    """
    shown_pattern = norm(pattern)
    dir_pattern, name_pattern = shown_pattern.rsplit("/", 1)
    found: list[FoundFile] = []
    complete = True
    for rel_dir in _dirs_for(root, dir_pattern or "/"):
        real_dir, why = root.resolve(rel_dir)
        if real_dir is None:
            if why != "not found":
                errors.append(HostDataError(_printable(rel_dir), why or "unresolvable"))
            continue
        try:
            entries = _matching(real_dir, name_pattern)
        except NotADirectoryError:
            continue
        except OSError as exc:
            errors.append(HostDataError(_printable(rel_dir), exc.strerror or type(exc).__name__))
            continue
        if len(entries) > MAX_FILES_PER_PATTERN:
            errors.append(HostDataError(shown_pattern, f"more than {MAX_FILES_PER_PATTERN} matches; listing cut short"))
            entries, complete = entries[:MAX_FILES_PER_PATTERN], False
        base_rel = rel_dir.rstrip("/")
        for entry in entries:
            raw_rel = f"{base_rel}/{entry.name}"
            rel = _printable(raw_rel)
            hit = _stat_entry(root, raw_rel, rel, entry, errors)
            if hit is not None:
                real, st = hit
                found.append(_found(rel, real, st))
    return found, complete


def _matching(real_dir: Path, name_pattern: str) -> list[os.DirEntry[str]]:
    """Entries matching ``name_pattern``, sorted; stops one past the bound so a huge directory costs little."""
    hidden_ok = name_pattern.startswith(".")  # like a shell: "*" does not match dotfiles
    out: list[os.DirEntry[str]] = []
    with os.scandir(real_dir) as it:
        for e in it:
            if fnmatch.fnmatchcase(e.name, name_pattern) and (hidden_ok or e.name[0] != "."):
                out.append(e)
                if len(out) > MAX_FILES_PER_PATTERN:
                    break
    return sorted(out, key=lambda e: e.name)


def _printable(path: str) -> str:
    """A file name as valid UTF-8: undecodable bytes (surrogate escapes) would break the JSON bundle."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def _stat_entry(
    root: HostRoot, raw_rel: str, rel: str, entry: os.DirEntry[str], errors: list[HostDataError]
) -> tuple[Path, os.stat_result] | None:
    try:
        if entry.is_symlink():
            real, why = root.resolve(raw_rel)
            if real is None:
                errors.append(HostDataError(rel, f"symbolic link refused: {why}"))
                return None
            st = os.stat(real, follow_symlinks=False)
        else:
            real, st = Path(entry.path), entry.stat(follow_symlinks=False)
    except OSError as exc:
        errors.append(HostDataError(rel, exc.strerror or type(exc).__name__))
        return None
    if not stat.S_ISREG(st.st_mode):
        errors.append(HostDataError(rel, f"not a regular file ({file_kind(st.st_mode)})"))
        return None
    return real, st


def stream_of(path: str) -> str:
    """The log stream a current, numbered, dated or compressed file belongs to
    (``/var/log/mail.log.2.gz`` and ``/var/log/access-20261101.log`` -> their live names)."""
    directory, _, name = path.rpartition("/")
    return f"{directory}/{_split_name(name)[0]}"


def _found(rel: str, real: Path, st: os.stat_result) -> FoundFile:
    _, comp, index, day = _split_name(rel.rsplit("/", 1)[1])
    stream = stream_of(rel)
    info = LogFileInfo(
        path=rel,
        size=st.st_size,
        mtime=_iso(st.st_mtime),
        compressed=comp,
        rotation_index=index,
        date_suffix=day,
    )
    return FoundFile(info=info, real=real, stream=stream, mtime_epoch=st.st_mtime)


def _compression_by_magic(magic: bytes) -> str | None:
    if magic.startswith(b"\x1f\x8b"):
        return "gz"
    if magic.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if magic.startswith(b"BZh"):
        return "bz2"
    if magic.startswith(b"\x28\xb5\x2f\xfd"):
        return "zst"
    if magic.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    return None


def read_head(
    f: FoundFile, *, head_bytes: int = HEAD_BYTES, head_lines: int = HEAD_LINES
) -> tuple[list[str], str | None, str | None]:
    """The first lines of a (possibly compressed) file: ``(lines, compression, error reason)``.

    At most ``head_bytes`` of *decompressed* data are produced, so a decompression bomb
    costs nothing; a line cut by the limit is dropped.
    """
    try:
        raw = open_regular(f.real)
    except NotRegularFile as exc:
        return [], None, str(exc)
    except OSError as exc:
        return [], None, exc.strerror or type(exc).__name__
    with raw:
        try:
            magic = raw.read(6)
            raw.seek(0)
            comp = _compression_by_magic(magic) or (None if magic else f.info.compressed)
            data = _decompressed_head(raw, comp, head_bytes)
        except _ReadError as exc:
            return [], comp, str(exc)
        except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
            return [], comp, f"cannot read {comp or 'file'}: {exc}"
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) >= head_bytes and lines and not text.endswith("\n"):
        lines.pop()
    return lines[:head_lines], comp, None


class _ReadError(Exception):
    """A reason to give up on one file; becomes an error value, never escapes."""


def _decompressor(comp: str) -> Any:
    if comp == "gz":
        return zlib.decompressobj(wbits=31)  # 31: expect and check a gzip header and trailer
    if comp == "xz":
        return lzma.LZMADecompressor()
    if comp == "bz2":
        return bz2.BZ2Decompressor()
    raise _ReadError(f"{comp}-compressed: no decompressor in the standard library")


def _decompressed_head(raw: BinaryIO, comp: str | None, limit: int) -> bytes:
    """At most ``limit`` bytes of the FIRST compressed member, from at most ``MAX_COMPRESSED_INPUT`` bytes.

    Hand-rolled over the stdlib decompressor objects because ``GzipFile``/``LZMAFile``
    keep reading after the first member (gzip skips zero padding byte by byte), so a
    sparse or padded multi-GB file would be read whole; and ``max_length`` makes a
    decompression bomb cost nothing.
    """
    if comp is None:
        return raw.read(limit)
    dec = _decompressor(comp)
    out = bytearray()
    consumed = 0
    tail = b""
    while len(out) < limit and not dec.eof:
        if comp == "gz":
            tail = dec.unconsumed_tail
            needs_input = not tail
        else:
            needs_input = dec.needs_input
        if needs_input:
            chunk = raw.read(_CHUNK)
            if not chunk:
                if not out:
                    raise _ReadError(f"truncated {comp} stream")
                break
            consumed += len(chunk)
            if consumed > MAX_COMPRESSED_INPUT and not out:
                raise _ReadError(f"no data in the first {MAX_COMPRESSED_INPUT} compressed bytes")
            data = chunk
        else:
            data = tail
        out += dec.decompress(data, limit - len(out))
    return bytes(out[:limit])
