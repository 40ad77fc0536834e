"""SPF (RFC 7208): record selection, evaluation with the processing limits, and a lint.

Evaluation is pyspf's ``check_host()`` (kept on PyPI and in Debian, and the reference
implementation the RFC 7208 test suite was written with): syntax (§4.6, macros §7),
include/redirect (§5.2, §6.1), the 10-lookup and 2-void-lookup limits (§4.6.4), loops.
pyspf looks names up through a module-level ``DNSLookup`` function; we point it once at
a dispatcher that asks the :data:`DnsSource` of the current context, so each evaluation
sees only its own DNS (a recording one in the collector, the recorded answers in the
check) and concurrent evaluations in other threads never mix.

What pyspf does not do is say what a record *means* for an audit: that comes from
evaluating it for a stranger (an address no sane record authorises), which walks every
include and redirect, and from :func:`lint_record` (``ptr``, over-broad ranges).
"""

from __future__ import annotations

import contextvars
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import spf  # type: ignore[import-untyped]

from auditor.dnspolicy.tags import printable
from auditor.evidence.network import DnsAnswer
from auditor.messages import render
from auditor.models import Message, msg

DnsSource = Callable[[str, str], DnsAnswer]
"""(name, rdtype) -> answer; the only way an evaluation reaches DNS."""

# Addresses from the documentation ranges (RFC 5737, RFC 3849): a record that
# authorises them authorises strangers, so the result for them is the domain's answer
# to anyone it did not list, and reaching it walks every include and redirect.
STRANGERS = ("198.51.100.254", "2001:db8::fe")

_SOURCE: contextvars.ContextVar[DnsSource] = contextvars.ContextVar("spf_dns_source")
# The answers that failed during the current evaluation (a temperror names the first).
_FAILED: contextvars.ContextVar[list[DnsAnswer]] = contextvars.ContextVar("spf_failed_answers")


class SpfErrorKind(StrEnum):
    """Why an evaluation ended in permerror/temperror, with the RFC 7208 section."""

    MULTIPLE_RECORDS = "multiple-records"  # §4.5
    LOOKUP_LIMIT = "lookup-limit"  # §4.6.4
    VOID_LIMIT = "void-lookup-limit"  # §4.6.4
    INCLUDE_NONE = "target-without-spf"  # §5.2 include, §6.1 redirect
    RECURSION = "recursion"  # §4.6.4 (loops exhaust the limit)
    SYNTAX = "syntax"  # §4.6, §7
    DNS = "dns"  # §4.4 temperror
    EVALUATOR = "evaluator"  # the evaluator itself failed on this input: not verifiable


SECTION = {
    SpfErrorKind.MULTIPLE_RECORDS: "RFC 7208 §4.5",
    SpfErrorKind.LOOKUP_LIMIT: "RFC 7208 §4.6.4",
    SpfErrorKind.VOID_LIMIT: "RFC 7208 §4.6.4",
    SpfErrorKind.INCLUDE_NONE: "RFC 7208 §5.2/§6.1",
    SpfErrorKind.RECURSION: "RFC 7208 §4.6.4",
    SpfErrorKind.SYNTAX: "RFC 7208 §4.6",
    SpfErrorKind.DNS: "RFC 7208 §4.4",
    SpfErrorKind.EVALUATOR: "RFC 7208 §4",
}

# pyspf raises PermError with a message only; this boundary turns its (stable, our
# library's own) wording into a kind once, so nothing downstream reads message text.
_KIND_BY_MESSAGE = (
    ("two or more type", SpfErrorKind.MULTIPLE_RECORDS),
    ("too many dns lookups", SpfErrorKind.LOOKUP_LIMIT),
    ("more than", SpfErrorKind.LOOKUP_LIMIT),
    ("void lookup limit", SpfErrorKind.VOID_LIMIT),
    ("recursion", SpfErrorKind.RECURSION),
    ("cname chain", SpfErrorKind.RECURSION),
    ("no valid spf record for included", SpfErrorKind.INCLUDE_NONE),
    ("redirect domain has no spf", SpfErrorKind.INCLUDE_NONE),
)


@dataclass(frozen=True, slots=True)
class SpfEvaluation:
    """``result``: pass | fail | softfail | neutral | none | permerror | temperror (§2.6)."""

    result: str
    explanation: str
    lookups: int
    void_lookups: int
    error_kind: SpfErrorKind | None = None
    #: For a temperror from a DNS lookup: the answer that failed (its reason is the finding's).
    failed: DnsAnswer | None = None

    @property
    def section(self) -> str | None:
        return SECTION[self.error_kind] if self.error_kind else None


def evaluate(
    source: DnsSource, *, ip: str, domain: str, sender: str | None = None, helo: str | None = None
) -> SpfEvaluation:
    """RFC 7208 ``check_host()`` for ``ip`` sending as ``sender`` (default ``postmaster@domain``)."""
    _install()
    token = _SOURCE.set(source)
    failures: list[DnsAnswer] = []
    failed_token = _FAILED.set(failures)
    try:
        mail_from = sender if sender is not None else f"postmaster@{domain}"
        query = _Query(i=ip, s=mail_from, h=helo or domain, strict=True)
        try:
            result, _code, explanation = query.check()
        except Exception as exc:  # errors as values: a library bug on odd input costs this record only
            message = printable(f"the SPF evaluator failed: {type(exc).__name__}: {str(exc)[:200]}")
            return SpfEvaluation("temperror", message, 0, 0, SpfErrorKind.EVALUATOR)
        kind = _kind(result, query)
        shown = printable(str(explanation))[:400]
        failed = failures[0] if result == "temperror" and failures else None
        return SpfEvaluation(str(result), shown, int(query.lookups), int(query.void_lookups), kind, failed)
    finally:
        _SOURCE.reset(token)
        _FAILED.reset(failed_token)


class _Query(spf.query):  # type: ignore[misc]
    """pyspf's query, with void lookups of an ``mx`` term counted per term.

    RFC 7208 §4.6.4 limits the *terms* whose lookups come back empty to two. pyspf counts
    every empty address lookup of the MX hosts, so ``v=spf1 mx -all`` with three IPv4-only
    MX hosts is a permerror for every IPv6 sender there; here such a term counts once.
    """

    def dns_mx(self, domainname: str) -> list[object]:
        hosts = self.dns(domainname, "MX")  # an empty MX answer is this term's void lookup
        if len(hosts) > spf.MAX_MX:
            raise spf.PermError(f"More than {spf.MAX_MX} MX records returned")
        addresses: list[object] = []
        empty = False
        for _preference, host in sorted(hosts):
            if not host:
                continue  # null MX (RFC 7505): no host to look up, as pyspf's dns_a does
            found = self.dns(host, self.A, ignore_void=True)
            empty = empty or not found
            addresses.extend(found)
        if hosts and empty:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return addresses


def _kind(result: str, query: object) -> SpfErrorKind | None:
    if result == "temperror":
        return SpfErrorKind.DNS
    if result != "permerror":
        return None
    error = getattr(query, "perm_error", None)
    message = str(getattr(error, "msg", error) or "").lower()
    for needle, kind in _KIND_BY_MESSAGE:
        if needle in message:
            return kind
    return SpfErrorKind.SYNTAX


def _install() -> None:
    """Route pyspf's lookups through the context's source (idempotent)."""
    if spf.DNSLookup is not _lookup:
        spf.DNSLookup = _lookup


def _lookup(
    name: str, qtype: str, strict: object = True, timeout: object = None
) -> Iterator[tuple[tuple[str, str], object]]:
    """pyspf's DNSLookup contract: ``((name, type), value)`` pairs; TempError for failures."""
    answer = _SOURCE.get()(name, qtype)
    if answer.status in ("nxdomain", "nodata"):
        return
    if not answer.ok:
        _FAILED.get([]).append(answer)
        # pyspf's explanation is English library text; the check names the failed answer instead.
        raise spf.TempError(f"DNS {answer.status} for {name} {qtype}: {render(answer.error or '', 'en')}")
    for record in answer.records:
        yield (name, qtype), _value(record, qtype)


def _value(record: str, qtype: str) -> object:
    if qtype in ("TXT", "SPF"):
        return (record.encode("utf-8", "surrogateescape"),)
    if qtype == "MX":
        preference, _, host = record.partition(" ")
        return int(preference), host.rstrip(".")
    if qtype == "PTR":
        return record.rstrip(".")
    return record


def replay(answers: tuple[DnsAnswer, ...]) -> DnsSource:
    """A source answering from recorded answers only; anything else was not collected."""
    table = {(a.name.lower().rstrip("."), a.rdtype): a for a in answers}

    def source(name: str, rdtype: str) -> DnsAnswer:
        found = table.get((name.lower().rstrip("."), rdtype))
        if found is not None:
            return found
        return DnsAnswer(name, rdtype, "error", error=msg("dns.answer.not-recorded"))

    return source


# ---------------------------------------------------------------------------- lint

_VERSION = re.compile(r"v=spf1(?= |$)", re.IGNORECASE)
_PTR = re.compile(r"[+\-~?]?ptr(:\S*)?", re.IGNORECASE)
_IP = re.compile(r"(\+?)ip([46]):(\S+)", re.IGNORECASE)
_ALL = re.compile(r"[+\-~?]?all", re.IGNORECASE)
BROAD_PREFIX = {4: 16, 6: 32}  # shorter than this authorises more than a large provider's block


def is_spf(record: str) -> bool:
    """RFC 7208 §4.5: exactly ``v=spf1`` at the very start, then a space or the end."""
    return _VERSION.match(record) is not None


def spf_records(records: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(r for r in records if is_spf(r))


@dataclass(frozen=True, slots=True)
class LintNote:
    """Something legal but unwise in a record; ``severe``: it authorises (nearly) everyone."""

    text: Message
    severe: bool = False


def lint_record(record: str, name: str) -> tuple[LintNote, ...]:
    """What RFC 7208 advises against in a record that evaluates fine."""
    notes: list[LintNote] = []
    name = printable(name)
    terms = [printable(t)[:80] for t in record.split()[1:]]
    for term in terms:
        if _PTR.fullmatch(term):
            notes.append(LintNote(msg("spf.lint.ptr", name=name, term=term)))
        match = _IP.fullmatch(term)
        if match:
            notes.extend(_broad(match.group(2), match.group(3), name, term))
    all_at = next((i for i, t in enumerate(terms) if _ALL.fullmatch(t)), None)
    if all_at is not None:
        later = [t for t in terms[all_at + 1 :] if "=" not in t or not t.lower().startswith(("exp=", "redirect="))]
        if later:
            notes.append(LintNote(msg("spf.lint.after-all", name=name, terms=" ".join(later)[:80])))
        if any(t.lower().startswith("redirect=") for t in terms):
            notes.append(LintNote(msg("spf.lint.redirect-ignored", name=name)))
    return tuple(notes)


def _broad(family: str, value: str, name: str, term: str) -> list[LintNote]:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return []  # a syntax error: evaluation reports it as permerror
    if network.version != int(family):
        return []
    if network.prefixlen == 0:
        return [LintNote(msg("spf.lint.every-address", name=name, term=term, family="IPv" + family), severe=True)]
    if network.prefixlen < BROAD_PREFIX[network.version]:
        return [
            LintNote(
                msg("spf.lint.broad", name=name, term=term, count=f"{network.num_addresses:,}"),
                severe=network.prefixlen < 8,
            )
        ]
    return []
