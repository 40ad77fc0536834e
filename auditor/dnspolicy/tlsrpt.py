"""TLS-RPT: the ``_smtp._tls`` TXT record (RFC 8460 §3), parsed as a sending MTA must.

Hand-written for the reasons given in :mod:`auditor.dnspolicy.tags`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.dnspolicy.tags import EXT_NAME, EXT_VALUE, split_tags, starts_with_version, trailing_space_problem

_NO_TLSRPT = "senders must assume the domain does not implement TLS-RPT and send no reports (RFC 8460 §3)"
# A domain name as a mail or web host: dot-separated LDH labels (RFC 1123), at least two.
_HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}")


@dataclass(frozen=True, slots=True)
class TlsRptRecord:
    """``usable``: senders will send reports, to ``rua`` (the valid URIs among those given);
    ``problems`` of a usable record are URIs senders skip."""

    usable: bool
    rua: tuple[str, ...]
    problems: tuple[str, ...]
    candidates: int = 0


def report_uri_problem(uri: str) -> str | None:
    """Why ``uri`` is no report destination for TLS-RPT (``mailto:`` or ``https:``, RFC 8460 §3), or None."""
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto":
        address = rest.split("?", 1)[0]
        local, at, host = address.rpartition("@")
        if not at or not _LOCAL.fullmatch(local) or not _HOST.fullmatch(host):
            return f"{uri[:80]!r} is not a mailto: URI with a valid address"
        return None
    if scheme == "https":
        parts = urlsplit(uri)
        if not parts.hostname or not _HOST.fullmatch(parts.hostname) or not uri.lower().startswith("https://"):
            return f"{uri[:80]!r} is not an https:// URI with a host name"
        return None
    return f"{uri[:80]!r} is neither a mailto: nor an https: URI"


def parse_tlsrpt(records: tuple[str, ...]) -> TlsRptRecord:
    """Select the record (exactly one beginning with ``v=TLSRPTv1``) and check it against §3."""
    chosen = [r for r in records if starts_with_version(r, "TLSRPTv1")]
    if not chosen:
        others = [r for r in records if r.lstrip().lower().startswith("v=tlsrpt")]
        why = f"no TXT record begins with v=TLSRPTv1 (found {others[0][:60]!r})" if others else "no TLS-RPT record"
        return TlsRptRecord(False, (), (f"{why}: {_NO_TLSRPT}",))
    if len(chosen) > 1:
        return TlsRptRecord(False, (), (f"{len(chosen)} records begin with v=TLSRPTv1: {_NO_TLSRPT}",), len(chosen))
    text = chosen[0]
    fields = split_tags(text, space_around_equals=False)
    grammar = [f"{p} (RFC 8460 §3 grammar)" for p in fields.problems]
    grammar += trailing_space_problem(text)
    for tag in fields.tags[1:]:
        if tag.name != "rua" and (not EXT_NAME.fullmatch(tag.name) or not EXT_VALUE.fullmatch(tag.value)):
            grammar.append(f"field {tag.name[:32]!r}={tag.value[:32]!r} is not a valid extension field (RFC 8460 §3)")
    ruas = fields.values("rua")
    if len(ruas) > 1:
        grammar.append(f"rua= appears {len(ruas)} times; the grammar has one rua= listing URIs separated by ','")
    valid: list[str] = []
    bad_uris: list[str] = []
    for value in ruas[:1]:
        for uri in (u.strip(" \t") for u in value.split(",")):
            problem = report_uri_problem(uri) if uri else "an empty URI in the rua= list"
            if problem:
                bad_uris.append(f"{problem} (RFC 8460 §3)")
            else:
                valid.append(uri)
    if grammar:
        why = "the record breaks the RFC 8460 §3 grammar, so senders may discard it and send no reports"
        return TlsRptRecord(False, tuple(valid), (*grammar, *bad_uris, why), 1)
    if not ruas:
        return TlsRptRecord(False, (), ("no rua= field (RFC 8460 §3 requires one): senders have nowhere to report",), 1)
    if not valid:
        return TlsRptRecord(False, (), (*bad_uris, "no valid report URI: senders cannot deliver any report"), 1)
    return TlsRptRecord(True, tuple(valid), tuple(bad_uris), 1)
