"""TLS grading profiles as data: load, validate, rate.

A profile (``auditor/data/profiles/<id>.yaml``) names its source document, version and
date, and lists classes for protocol versions, cipher suites (IANA names, ``fnmatch``
patterns allowed), key-exchange groups, certificate signature algorithms and key sizes.
Guidelines change yearly; keeping them as data lets a DPO read what the grading rests
on and lets a saved evidence bundle be re-graded against a newer table.

Classes, best first: ``recommended``, ``acceptable``, ``phase-out``, ``insufficient``.
An entry may carry ``until`` (last year the source recommends it). Past that year the
*mode* decides: ``transitional`` demotes to phase-out, ``strict`` to insufficient. A
mode is chosen with the profile name, e.g. ``bsi-tr-02102-2:strict``.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

CLASSES: tuple[str, ...] = ("recommended", "acceptable", "phase-out", "insufficient")
KINDS: tuple[str, ...] = ("protocols", "suites", "groups", "signatures")
DEFAULT_PROFILE = "bsi-tr-02102-2"
_ENTRY_KEYS = {"class", "until", "open_ended", "ref", "note", "min"}


class ProfileError(ValueError):
    """A profile file is malformed; the message names file, key path and line."""


@dataclass(frozen=True, slots=True)
class Source:
    document: str
    version: str
    date: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    cls: str
    until: int | None = None
    open_ended: bool = False
    ref: str | None = None
    note: str | None = None
    minimum: int = 0


@dataclass(frozen=True, slots=True)
class Rating:
    """How a profile grades one item. ``expired``: its ``until`` year has passed."""

    cls: str
    valid_until: int | None = None
    note: str | None = None
    ref: str | None = None
    expired: bool = False
    open_ended: bool = False

    @property
    def rank(self) -> int:
        return CLASSES.index(self.cls)

    def describe(self) -> str:
        if self.valid_until is None:
            return self.cls
        if self.expired:
            return f"{self.cls} (recommended only until {self.valid_until})"
        return f"{self.cls} (until {self.valid_until}{'+' if self.open_ended else ''})"


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    source: Source
    mode: str
    modes: dict[str, str]
    default_class: str
    tables: dict[str, tuple[tuple[str, Entry], ...]]
    key_sizes: dict[str, tuple[Entry, ...]]

    @property
    def label(self) -> str:
        suffix = f", {self.mode} mode" if self.modes else ""
        return f"{self.title} {self.source.version}{suffix}"


def _line(node: yaml.Node | None, path: tuple[str, ...]) -> int | None:
    """Line (1-based) of the key path in a composed YAML document, where it exists."""
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        for knode, vnode in node.value:
            if knode.value == key:
                node = vnode
                break
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with 'class'")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    if raw.get("class") not in CLASSES:
        raise ValueError(f"{where}: class must be one of {list(CLASSES)}, got {raw.get('class')!r}")
    until = raw.get("until")
    if until is not None and not isinstance(until, int):
        raise ValueError(f"{where}: until must be a year")
    return Entry(
        cls=raw["class"],
        until=until,
        open_ended=bool(raw.get("open_ended", False)),
        ref=raw.get("ref"),
        note=raw.get("note"),
        minimum=int(raw.get("min", 0)),
    )


def parse_profile(text: str, filename: str, mode: str | None = None) -> Profile:
    """Validate one profile document; errors name the file, the key and the line."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{filename}: not valid YAML: {exc}") from exc
    path: tuple[str, ...] = ()
    try:
        if not isinstance(data, dict):
            raise ValueError("top level must be a mapping")
        for key in ("id", "title", "source", "default_class"):
            path = (key,)
            if key not in data:
                raise ValueError(f"missing '{key}'")
        path = ("source",)
        src = data["source"]
        if not isinstance(src, dict) or not all(isinstance(src.get(k), str) for k in ("document", "version", "date")):
            raise ValueError("source needs document, version and date (strings)")
        source = Source(src["document"], src["version"], src["date"], src.get("url"))
        modes = {str(k): str(v) for k, v in (data.get("modes") or {}).items()}
        chosen = mode or data.get("default_mode") or "strict"
        path = ("modes",)
        if modes and chosen not in modes:
            raise ValueError(f"unknown mode {chosen!r}; this profile has {sorted(modes)}")
        path = ("default_class",)
        if data["default_class"] not in CLASSES:
            raise ValueError(f"default_class must be one of {list(CLASSES)}")
        tables: dict[str, tuple[tuple[str, Entry], ...]] = {}
        for kind in KINDS:
            rows = []
            for name, raw in (data.get(kind) or {}).items():
                path = (kind, str(name))
                rows.append((str(name), _entry(raw, f"{kind}.{name}")))
            tables[kind] = tuple(rows)
        key_sizes: dict[str, tuple[Entry, ...]] = {}
        for key_type, steps in (data.get("key_sizes") or {}).items():
            path = ("key_sizes", str(key_type))
            if not isinstance(steps, list):
                raise ValueError("key_sizes entries are lists of {min, class}")
            entries = tuple(_entry(step, f"key_sizes.{key_type}") for step in steps)
            key_sizes[str(key_type)] = tuple(sorted(entries, key=lambda e: -e.minimum))
    except ValueError as exc:
        line = _line(root, path)
        where = f"{filename}:{line}" if line else filename
        raise ProfileError(f"{where}: {'.'.join(path) or 'document'}: {exc}") from exc
    return Profile(
        id=str(data["id"]),
        title=str(data["title"]),
        source=source,
        mode=chosen if modes else "strict",
        modes=modes,
        default_class=data["default_class"],
        tables=tables,
        key_sizes=key_sizes,
    )


def available_profiles() -> tuple[str, ...]:
    """Ids of the packaged profiles (a mode may be appended: ``id:strict``)."""
    folder = resources.files("auditor") / "data" / "profiles"
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


@functools.cache
def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """Load ``id`` or ``id:mode``; raises :class:`ProfileError` for unknown names."""
    profile_id, _, mode = name.partition(":")
    if profile_id not in available_profiles():
        raise ProfileError(f"unknown TLS profile {profile_id!r}; available: {', '.join(available_profiles())}")
    resource = resources.files("auditor") / "data" / "profiles" / f"{profile_id}.yaml"
    return parse_profile(resource.read_text(encoding="utf-8"), f"data/profiles/{profile_id}.yaml", mode or None)


def _apply_time(profile: Profile, entry: Entry, year: int | None) -> Rating:
    expired = bool(year is not None and entry.until is not None and not entry.open_ended and year > entry.until)
    cls = entry.cls
    if expired:
        demoted = "insufficient" if profile.mode == "strict" else "phase-out"
        cls = max(cls, demoted, key=CLASSES.index)
    return Rating(cls, entry.until, entry.note, entry.ref, expired, entry.open_ended)


def rate(profile: Profile | str, kind: str, name: str, *, year: int | None = None) -> Rating:
    """Class of one protocol / suite / group / signature algorithm under ``profile``.

    Exact names win over patterns; patterns are tried in file order; anything not
    listed gets the profile's ``default_class``. ``year`` (the evidence's collection
    year) applies ``until`` dates; without it, dates are ignored.
    """
    prof = load_profile(profile) if isinstance(profile, str) else profile
    if kind not in prof.tables:
        raise ValueError(f"unknown kind {kind!r}; expected one of {list(KINDS)}")
    rows = prof.tables[kind]
    for pattern, entry in rows:
        if pattern == name:
            return _apply_time(prof, entry, year)
    for pattern, entry in rows:
        if any(ch in pattern for ch in "*?[") and fnmatch.fnmatchcase(name, pattern):
            return _apply_time(prof, entry, year)
    return Rating(prof.default_class, note="not listed in the profile")


def rate_key(profile: Profile | str, key_type: str, bits: int, *, year: int | None = None) -> Rating:
    """Class of a key (``RSA``, ``EC``, ``DSA``, ``Ed25519``, ``DH``, ``ECDH``) of ``bits`` size."""
    prof = load_profile(profile) if isinstance(profile, str) else profile
    for entry in prof.key_sizes.get(key_type, ()):
        if bits >= entry.minimum:
            return _apply_time(prof, entry, year)
    smallest = min((e.minimum for e in prof.key_sizes.get(key_type, ())), default=None)
    note = f"below the profile's minimum of {smallest} bits" if smallest else f"{key_type} keys are not listed"
    return Rating("insufficient", note=note)
