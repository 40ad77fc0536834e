"""TLS-RPT: the ``_smtp._tls`` TXT record (RFC 8460 §3), parsed as a sending MTA must.

Hand-written for the reasons given in :mod:`auditor.dnspolicy.tags`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.dnspolicy.tags import EXT_NAME, EXT_VALUE, split_tags, starts_with_version, trailing_space_problem
from auditor.models import Message, msg

# A domain name as a mail or web host: dot-separated LDH labels (RFC 1123), at least two.
_HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}")


@dataclass(frozen=True, slots=True)
class TlsRptRecord:
    """``usable``: senders will send reports, to ``rua`` (the valid URIs among those given);
    ``problems`` of a usable record are URIs senders skip."""

    usable: bool
    rua: tuple[str, ...]
    problems: tuple[Message, ...]
    candidates: int = 0


def report_uri_problem(uri: str) -> Message | None:
    """Why ``uri`` is no report destination for TLS-RPT (``mailto:`` or ``https:``, RFC 8460 §3), or None."""
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto":
        address = rest.split("?", 1)[0]
        local, at, host = address.rpartition("@")
        if not at or not _LOCAL.fullmatch(local) or not _HOST.fullmatch(host):
            return msg("tlsrpt.p.bad-mailto", uri=repr(uri[:80]))
        return None
    if scheme == "https":
        parts = urlsplit(uri)
        if not parts.hostname or not _HOST.fullmatch(parts.hostname) or not uri.lower().startswith("https://"):
            return msg("tlsrpt.p.bad-https", uri=repr(uri[:80]))
        return None
    return msg("tlsrpt.p.bad-scheme", uri=repr(uri[:80]))


def parse_tlsrpt(records: tuple[str, ...]) -> TlsRptRecord:
    """Select the record (exactly one beginning with ``v=TLSRPTv1``) and check it against §3."""
    chosen = [r for r in records if starts_with_version(r, "TLSRPTv1")]
    if not chosen:
        others = [r for r in records if r.lstrip().lower().startswith("v=tlsrpt")]
        why = msg("tlsrpt.p.no-version-found", found=repr(others[0][:60])) if others else msg("tlsrpt.p.none")
        return TlsRptRecord(False, (), (msg("tlsrpt.p.no-tlsrpt", why=why),))
    if len(chosen) > 1:
        several = msg("tlsrpt.p.no-tlsrpt", why=msg("tlsrpt.p.several", count=len(chosen)))
        return TlsRptRecord(False, (), (several,), len(chosen))
    text = chosen[0]
    fields = split_tags(text, space_around_equals=False)
    grammar: list[Message] = [msg("tlsrpt.p.grammar", problem=p) for p in fields.problems]
    grammar += trailing_space_problem(text)
    for tag in fields.tags[1:]:
        if tag.name != "rua" and (not EXT_NAME.fullmatch(tag.name) or not EXT_VALUE.fullmatch(tag.value)):
            grammar.append(msg("tlsrpt.p.bad-extension", name=repr(tag.name[:32]), value=repr(tag.value[:32])))
    ruas = fields.values("rua")
    if len(ruas) > 1:
        grammar.append(msg("tlsrpt.p.several-rua", count=len(ruas)))
    valid: list[str] = []
    bad_uris: list[Message] = []
    for value in ruas[:1]:
        for uri in (u.strip(" \t") for u in value.split(",")):
            problem = report_uri_problem(uri) if uri else msg("tlsrpt.p.empty-uri")
            if problem:
                bad_uris.append(msg("tlsrpt.p.uri", problem=problem))
            else:
                valid.append(uri)
    if grammar:
        return TlsRptRecord(False, tuple(valid), (*grammar, *bad_uris, msg("tlsrpt.p.broken")), 1)
    if not ruas:
        return TlsRptRecord(False, (), (msg("tlsrpt.p.no-rua"),), 1)
    if not valid:
        return TlsRptRecord(False, (), (*bad_uris, msg("tlsrpt.p.no-valid-uri")), 1)
    return TlsRptRecord(True, tuple(valid), tuple(bad_uris), 1)
