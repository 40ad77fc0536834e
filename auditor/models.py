"""Core value types shared by collectors, checks and renderers.

Everything here is a frozen dataclass of plain values so that evidence and reports
round-trip through JSON unchanged (``auditor evaluate`` relies on that) and so that
checks, being pure functions of these values, can be tested from fixtures.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union


class Status(enum.StrEnum):
    """Outcome of one check on one subject. ``error`` means *could not verify*."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Severity(enum.StrEnum):
    """Ordered severities; ``rank`` grows with gravity so thresholds compare."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class Need(enum.StrEnum):
    """Kinds of input a check depends on; without them it is ``skipped``."""

    NETWORK = "network"
    # The domain's endpoints were probed (STARTTLS dialogs, TLS handshakes). A run whose
    # selected checks need none of it (--only dmarc.*) leaves them alone: DNS-only is fast.
    ENDPOINTS = "endpoints"
    HOST = "host"
    STATEMENT = "statement"


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was seen: an endpoint, a DNS name, a URL or a file line.

    ``str()`` gives the familiar forms ``host:port``, ``file:line``, a DNS name or a URL,
    which is what reports print; SARIF uses ``path``/``line`` separately.
    """

    host: str | None = None
    port: int | None = None
    path: str | None = None
    line: int | None = None
    dns_name: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        if self.path is not None:
            return f"{self.path}:{self.line}" if self.line is not None else self.path
        if self.url is not None:
            return self.url
        if self.host is not None:
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"{host}:{self.port}" if self.port is not None else host
        return self.dns_name or ""


#: A parameter is a value, or a nested message (a clause of a sentence, rendered in the same language).
ParamValue = Union[str, int, float, "Message"]  # noqa: UP007 (a string forward reference needs Union)


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence of a finding as a key and its parameters, so each report speaks one language.

    The templates live in ``auditor/data/messages/*.yaml`` (one per check family, English and
    German side by side); :func:`auditor.messages.render` fills them in. Parameters are the
    values only (paths, numbers, names, server text): never pre-written sentences.
    """

    key: str
    params: dict[str, ParamValue] = field(default_factory=dict)


def msg(key: str, **params: ParamValue) -> Message:
    """``msg("retention.contradicted", family="mail", days=33)``: the short form checks use."""
    return Message(key, params)


#: The key of a list of parts rendered one after the other with ``sep`` between them.
JOIN_KEY = "join"
#: The key of a text given in each language by its source (a clause title from the catalogue).
BY_LANGUAGE_KEY = "by-language"


def by_language(**texts: str) -> Message:
    """A text its source already has in several languages (``by_language(en=..., de=...)``)."""
    return Message(BY_LANGUAGE_KEY, dict(texts))


def joined(parts: Sequence[ParamValue], sep: str = "; ") -> Message:
    """Several sentence parts (each a value or a message) as one, e.g. a listing of files."""
    return Message(JOIN_KEY, {"sep": sep, **{str(i): part for i, part in enumerate(parts)}})


@dataclass(frozen=True, slots=True)
class Observation:
    """One piece of evidence shown next to a finding: what was seen, and where.

    A check may give ``label`` (and a ``value`` that is a sentence rather than data) as a
    :class:`Message`; the runner renders it in the report's language.
    """

    label: str | Message
    value: str | Message
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class ClaimRef:
    """The statement's promise a finding was compared with (quoted, never paraphrased)."""

    claim_id: str
    kind: str
    quote: str
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function yields for one subject; the engine adds the metadata.

    ``severity`` overrides the check's default where one check grades several cases
    (e.g. DMARC missing vs. ``p=none``). ``key`` distinguishes several outcomes of the
    same check on the same subject so finding ids stay unique and stable.
    """

    status: Status
    subject: str
    detail: str | Message
    observations: tuple[Observation, ...] = ()
    severity: Severity | None = None
    claim: ClaimRef | None = None
    key: str | None = None
    extra_clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A graded outcome with everything a reader needs: status, severity, clauses, fix."""

    id: str
    check_id: str
    status: Status
    severity: Severity
    title: str
    subject: str
    detail: str
    observations: tuple[Observation, ...] = ()
    claim: ClaimRef | None = None
    clauses: tuple[str, ...] = ()
    remediation: str = ""
    area: str = ""
    waiver: str | None = None
    in_baseline: bool = False
    #: The detail as key and parameters (``None`` for plugins that give plain text):
    #: ``detail`` is it rendered in the report's language.
    message: Message | None = None


@dataclass(frozen=True, slots=True)
class InputFile:
    """An input the audit read, with its digest so a report proves what it examined."""

    kind: str
    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ClauseCoverage:
    clause_id: str
    examined: int
    passed: int
    failed: int
    errors: int


@dataclass(frozen=True, slots=True)
class Summary:
    by_status: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    verdict: str = "pass"
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Report:
    schema_version: str
    tool: str
    tool_version: str
    run_id: str
    started: str
    finished: str
    target: str
    profile: str
    lang: str
    inputs: tuple[InputFile, ...]
    findings: tuple[Finding, ...]
    summary: Summary
    clause_coverage: tuple[ClauseCoverage, ...]
    clauses: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    #: privacy-relevant statement sentences that gave no claim: the reviewer reads them by hand
    statement_not_understood: tuple[str, ...] = ()
