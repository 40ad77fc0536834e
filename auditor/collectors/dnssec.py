"""DNSSEC validation of one RRset with dnspython, from a configured trust anchor.

Why here and not "ask a validating resolver": a DANE audit must say *whether* the TLSA
records are authenticated, and an operator's stub resolver (or the lab's authoritative
server) usually does not validate. With ``--trust-anchor`` (DS or DNSKEY records of a
zone) we verify the zone's DNSKEY set against the anchor and the RRset's signature
against that DNSKEY set; without it we fall back to the AD bit of the resolver.
Scope: names inside the anchored zone (no walk through further delegations).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.rdtypes.ANY.DS import DS

from auditor.safeload import InputFileError, read_text

MAX_ANCHOR_BYTES = 1024 * 1024  # a few DS/DNSKEY records


class TrustAnchorError(ValueError):
    """The trust-anchor file cannot be used; the message names the file."""


@dataclass(frozen=True)
class TrustAnchor:
    zone: dns.name.Name
    ds: tuple[dns.rdata.Rdata, ...]
    dnskey: tuple[dns.rdata.Rdata, ...]

    @classmethod
    def load(cls, path: Path) -> TrustAnchor:
        try:  # an input file like any other: size cap, regular files only (see auditor.safeload)
            text = read_text(path, max_bytes=MAX_ANCHOR_BYTES, kind="trust anchor")
        except InputFileError as exc:
            raise TrustAnchorError(str(exc)) from None
        ds: list[dns.rdata.Rdata] = []
        keys: list[dns.rdata.Rdata] = []
        zone: dns.name.Name | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith(";"):
                continue
            try:
                rrset = dns.rrset.from_text(*_split_rr(line))
            except (dns.exception.DNSException, ValueError) as exc:
                raise TrustAnchorError(f"{path}:{number}: not a DS or DNSKEY record: {exc}") from None
            if zone is not None and rrset.name != zone:
                raise TrustAnchorError(f"{path}:{number}: all records must belong to one zone")
            zone = rrset.name
            (ds if rrset.rdtype == dns.rdatatype.DS else keys).extend(rrset)
        if zone is None:
            raise TrustAnchorError(f"{path}: no DS or DNSKEY record found")
        return cls(zone, tuple(ds), tuple(keys))


def _split_rr(line: str) -> tuple[str, int, str, str, str]:
    """``owner [ttl] [IN] TYPE rdata`` → arguments for ``dns.rrset.from_text``."""
    fields = line.split()
    owner, rest = fields[0], fields[1:]
    ttl = 3600
    if rest and rest[0].isdigit():
        ttl, rest = int(rest[0]), rest[1:]
    if rest and rest[0].upper() == "IN":
        rest = rest[1:]
    if len(rest) < 2 or rest[0].upper() not in ("DS", "DNSKEY"):
        raise ValueError("expected DS or DNSKEY")
    return owner, ttl, "IN", rest[0].upper(), " ".join(rest[1:])


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str  # secure | insecure | bogus | indeterminate
    reason: str


def query_signed(name: str, rdtype: str, server: str, port: int, timeout: float) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=True, use_edns=0, payload=1232)
    response, _ = dns.query.udp_with_fallback(query, server, timeout=timeout, port=port)
    return response


def _find(section: list[dns.rrset.RRset], name: dns.name.Name, rdtype: int, covers: int = 0) -> dns.rrset.RRset | None:
    for rrset in section:
        if rrset.name == name and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


class Validator:
    """Verifies RRsets below one trust anchor; caches the verified DNSKEY set."""

    def __init__(self, anchor: TrustAnchor, server: str, port: int, timeout: float = 3.0) -> None:
        self.anchor, self.server, self.port, self.timeout = anchor, server, port, timeout
        self._keys: dns.rrset.RRset | None = None
        self._key_error: str | None = None

    def covers(self, name: str) -> bool:
        return dns.name.from_text(name).is_subdomain(self.anchor.zone)

    def _zone_keys(self) -> dns.rrset.RRset | None:
        if self._keys is not None or self._key_error is not None:
            return self._keys
        zone = self.anchor.zone
        try:
            response = query_signed(zone.to_text(), "DNSKEY", self.server, self.port, self.timeout)
        except (dns.exception.DNSException, OSError) as exc:
            self._key_error = f"DNSKEY of {zone} not available: {exc}"
            return None
        keys = _find(response.answer, zone, dns.rdatatype.DNSKEY)
        sigs = _find(response.answer, zone, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
        if keys is None or sigs is None:
            self._key_error = f"{zone} returned no signed DNSKEY set"
            return None
        trusted = [
            k
            for k in keys
            if k in self.anchor.dnskey
            or any(dns.dnssec.make_ds(zone, k, cast(DS, ds).digest_type) == ds for ds in self.anchor.ds)
        ]
        if not trusted:
            self._key_error = f"no DNSKEY of {zone} matches the trust anchor"
            return None
        anchor_set = dns.rrset.from_rdata_list(zone, keys.ttl, trusted)
        try:
            dns.dnssec.validate(keys, sigs, {zone: anchor_set})
        except dns.exception.ValidationFailure as exc:
            self._key_error = f"DNSKEY set of {zone} not signed by the anchored key: {exc}"
            return None
        self._keys = keys
        return keys

    def verify(self, response: dns.message.Message, name: str, rdtype: str) -> Verdict:
        """Verify the answer (or, for no data, the signed denial records) in ``response``."""
        keys = self._zone_keys()
        if keys is None:
            return Verdict("bogus", self._key_error or "zone keys unusable")
        owner = dns.name.from_text(name)
        wanted = dns.rdatatype.from_text(rdtype)
        rrset = _find(response.answer, owner, wanted)
        try:
            if rrset is not None:
                sigs = _find(response.answer, owner, dns.rdatatype.RRSIG, wanted)
                if sigs is None:
                    return Verdict("bogus", f"{name} {rdtype} is not signed although {self.anchor.zone} is")
                dns.dnssec.validate(rrset, sigs, {self.anchor.zone: keys})
                return Verdict("secure", f"signature verified up to the trust anchor for {self.anchor.zone}")
            denials = [r for r in response.authority if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)]
            if not denials:
                return Verdict("bogus", f"no signed proof that {name} {rdtype} does not exist")
            for denial in denials:
                sigs = _find(response.authority, denial.name, dns.rdatatype.RRSIG, denial.rdtype)
                if sigs is None:
                    return Verdict("bogus", "unsigned denial-of-existence records")
                dns.dnssec.validate(denial, sigs, {self.anchor.zone: keys})
            return Verdict(
                "secure",
                "signed denial of existence (NSEC/NSEC3 signatures verified; "
                "whether they cover this exact name is not checked)",
            )
        except dns.exception.ValidationFailure as exc:
            return Verdict("bogus", f"signature check failed: {exc}")
