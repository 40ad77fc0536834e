"""DNSSEC validated by the auditor itself, from the root trust anchors down (dnspython).

Why not "ask a validating resolver": a DANE audit must say *whether* the TLSA records
are authenticated, and many resolvers (containers, CI runners, systemd-resolved
defaults, an authoritative lab server) do not validate. The resolver's AD bit is at
most a hint. So :class:`ChainValidator` walks DS -> DNSKEY -> RRSIG from the closest
trust anchor (the root anchors built in as data, ``auditor/data/root-anchors.ds``, plus
any ``--trust-anchor`` of the user) down to the name, asking the configured resolver
with CD set (a validating resolver then hands over even bogus data for us to judge).

Verdicts: ``secure`` (every signature checked up to an anchor), ``insecure`` (a signed
proof that a delegation on the way has no DS: the zone is unsigned), ``bogus``
(signatures or DS/DNSKEY that do not verify), ``indeterminate`` (validation impossible:
the resolver strips DNSSEC records, the tree is private and no anchor covers it, a
lookup failed) -- the last always with the reason, and checks report it as ``error``.

Known simplification: NSEC/NSEC3 records are verified (signatures) and their type
bitmaps read for the queried name, but whether a non-matching record really *covers*
the name (the interval) is not checked.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
from dns.rdtypes.ANY.DS import DS
from dns.rdtypes.ANY.NSEC3 import NSEC3

from auditor.collectors.dnsclient import DnsClient
from auditor.deadline import Deadline, DeadlineExpired
from auditor.models import Message, ParamValue, msg
from auditor.safeload import InputFileError, read_text

MAX_CNAME_HOPS = 8
MAX_ANCHOR_BYTES = 1024 * 1024  # a few DS/DNSKEY records


class TrustAnchorError(ValueError):
    """The trust-anchor file cannot be used; the message names the file."""


@dataclass(frozen=True)
class TrustAnchor:
    zone: dns.name.Name
    ds: tuple[dns.rdata.Rdata, ...]
    dnskey: tuple[dns.rdata.Rdata, ...]
    builtin: bool = False

    @classmethod
    def load(cls, path: Path) -> TrustAnchor:
        try:  # an input file like any other: size cap, regular files only (see auditor.safeload)
            text = read_text(path, max_bytes=MAX_ANCHOR_BYTES, kind="trust anchor")
        except InputFileError as exc:
            raise TrustAnchorError(str(exc)) from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str, *, builtin: bool = False) -> TrustAnchor:
        ds: list[dns.rdata.Rdata] = []
        keys: list[dns.rdata.Rdata] = []
        zone: dns.name.Name | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith(";"):
                continue
            try:
                rrset = dns.rrset.from_text(*_split_rr(line))
            except (dns.exception.DNSException, ValueError) as exc:
                raise TrustAnchorError(f"{source}:{number}: not a DS or DNSKEY record: {exc}") from None
            if zone is not None and rrset.name != zone:
                raise TrustAnchorError(f"{source}:{number}: all records must belong to one zone")
            zone = rrset.name
            (ds if rrset.rdtype == dns.rdatatype.DS else keys).extend(rrset)
        if zone is None:
            raise TrustAnchorError(f"{source}: no DS or DNSKEY record found")
        return cls(zone, tuple(ds), tuple(keys), builtin)


def root_anchors() -> TrustAnchor:
    """The root zone's anchors shipped with the package (IANA root KSKs)."""
    text = resources.files("auditor").joinpath("data/root-anchors.ds").read_text(encoding="ascii")
    return TrustAnchor.parse(text, "auditor/data/root-anchors.ds", builtin=True)


def anchors_with(user: Path | None) -> tuple[TrustAnchor, ...]:
    """Built-in root anchors plus the user's; a user anchor for the root replaces them."""
    if user is None:
        return (root_anchors(),)
    mine = TrustAnchor.load(user)
    return (mine,) if mine.zone == dns.name.root else (root_anchors(), mine)


def _split_rr(line: str) -> tuple[str, int, str, str, str]:
    """``owner [ttl] [IN] TYPE rdata`` -> arguments for ``dns.rrset.from_text``."""
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
    reason: Message


def query_signed(name: str, rdtype: str, server: str, port: int, timeout: float) -> dns.message.Message:
    """One query with DO (send DNSSEC records) and CD (do not hide bogus data from us)."""
    query = dns.message.make_query(name, rdtype, want_dnssec=True, use_edns=0, payload=1232)
    query.flags |= dns.flags.CD
    response, _ = dns.query.udp_with_fallback(query, server, timeout=timeout, port=port)
    return response


def _find(section: list[dns.rrset.RRset], name: dns.name.Name, rdtype: int, covers: int = 0) -> dns.rrset.RRset | None:
    for rrset in section:
        if rrset.name == name and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


class _Stop(Exception):
    """Ends a walk with a verdict."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.state, verdict.reason.key)
        self.verdict = verdict


@dataclass(frozen=True)
class _Zone:
    name: dns.name.Name
    keys: dns.rrset.RRset


class _NoSuchName:
    """A DS query answered NXDOMAIN (signed): nothing below exists, so no further cut."""


class ChainValidator:
    """Validates answers of one resolver from the trust anchors down; caches zone keys and cuts."""

    def __init__(
        self,
        anchors: Sequence[TrustAnchor],
        server: str,
        port: int,
        timeout: float = 3.0,
        *,
        deadline: Deadline | None = None,
    ) -> None:
        self.anchors = sorted(anchors, key=lambda a: len(a.zone), reverse=True)
        self.server, self.port, self.timeout = server, port, timeout
        self.deadline = deadline or Deadline()
        self._cache: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.message.Message | Verdict] = {}
        self._lock = threading.Lock()

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        """The resolver's answer (DO+CD); raises dnspython/OS errors or DeadlineExpired."""
        return query_signed(name, rdtype, self.server, self.port, self.deadline.timeout(self.timeout))

    def verify(self, response: dns.message.Message, name: str, rdtype: str) -> Verdict:
        """Verdict on ``response`` (the answer or the signed denial) to ``name``/``rdtype``."""
        try:
            return self._verify(response, dns.name.from_text(name), dns.rdatatype.from_text(rdtype), 0)
        except _Stop as stop:
            return stop.verdict

    def _verify(
        self, response: dns.message.Message, owner: dns.name.Name, wanted: dns.rdatatype.RdataType, hops: int
    ) -> Verdict:
        zone = self._zone_of(owner)
        if isinstance(zone, Verdict):
            return zone
        rrset = _find(response.answer, owner, wanted)
        if rrset is not None:
            self._check(rrset, response.answer, zone, f"{owner} {dns.rdatatype.to_text(wanted)}")
            return Verdict("secure", msg("dnssec.secure", anchor=str(self._anchor_of(owner).zone), zone=str(zone.name)))
        cname = _find(response.answer, owner, dns.rdatatype.CNAME)
        if cname is not None and wanted != dns.rdatatype.CNAME:
            self._check(cname, response.answer, zone, f"{owner} CNAME")
            if hops >= MAX_CNAME_HOPS:
                return Verdict("indeterminate", msg("dnssec.cname-chain", count=MAX_CNAME_HOPS, name=str(owner)))
            return self._verify(response, cast(dns.name.Name, cname[0].target), wanted, hops + 1)
        self._check_denial(response, zone, f"{owner} {dns.rdatatype.to_text(wanted)}")
        key = "dnssec.secure-nxdomain" if response.rcode() == dns.rcode.NXDOMAIN else "dnssec.secure-nodata"
        return Verdict("secure", msg(key, name=str(owner), anchor=str(self._anchor_of(owner).zone)))

    # -- the walk ---------------------------------------------------------------------

    def _anchor_of(self, owner: dns.name.Name) -> TrustAnchor:
        return next(a for a in self.anchors if owner.is_subdomain(a.zone))

    def _zone_of(self, owner: dns.name.Name) -> _Zone | Verdict:
        """The signed zone holding ``owner``, its keys verified from the closest anchor."""
        anchor = next((a for a in self.anchors if owner.is_subdomain(a.zone)), None)
        if anchor is None:
            return Verdict("indeterminate", msg("dnssec.no-anchor", name=str(owner)))
        zone = self._anchor_keys(anchor)
        for depth in range(len(anchor.zone) + 1, len(owner) + 1):
            child = owner.split(depth)[1]
            step = self._delegation(zone, child)
            if isinstance(step, Verdict):
                return step
            if isinstance(step, _NoSuchName):
                break
            if step is not None:
                zone = step
        return zone

    def _anchor_keys(self, anchor: TrustAnchor) -> _Zone:
        response = self._ask(anchor.zone, dns.rdatatype.DNSKEY)
        keys = _find(response.answer, anchor.zone, dns.rdatatype.DNSKEY)
        sigs = _find(response.answer, anchor.zone, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
        if keys is None or sigs is None:
            raise _Stop(Verdict("indeterminate", msg("dnssec.stripped", server=self.server, zone=str(anchor.zone))))
        trusted = [k for k in keys if k in anchor.dnskey or _matches_ds(anchor.zone, k, anchor.ds)]
        if not trusted:
            if anchor.builtin:
                raise _Stop(Verdict("indeterminate", msg("dnssec.private-root", server=self.server)))
            raise _Stop(Verdict("bogus", msg("dnssec.anchor-mismatch", zone=str(anchor.zone))))
        anchor_set = dns.rrset.from_rdata_list(anchor.zone, keys.ttl, trusted)
        try:
            dns.dnssec.validate(keys, sigs, {anchor.zone: anchor_set})
        except dns.exception.ValidationFailure as exc:
            raise _Stop(
                Verdict("bogus", msg("dnssec.anchor-unsigned", zone=str(anchor.zone), error=str(exc)))
            ) from None
        return _Zone(anchor.zone, keys)

    def _delegation(self, parent: _Zone, child: dns.name.Name) -> _Zone | Verdict | _NoSuchName | None:
        """Is ``child`` a secure cut (its verified keys), an insecure one (a verdict), or no cut (None)?"""
        response = self._ask(child, dns.rdatatype.DS)
        ds = _find(response.answer, child, dns.rdatatype.DS)
        if ds is not None:
            self._check(ds, response.answer, parent, msg("dnssec.what.ds", zone=str(child)))
            return self._child_keys(child, ds)
        if response.rcode() == dns.rcode.NXDOMAIN:
            self._check_denial(response, parent, f"{child} DS")
            return _NoSuchName()
        soa = next((r for r in response.authority if r.rdtype == dns.rdatatype.SOA), None)
        if soa is not None and soa.name == child:
            # Answered from the child zone itself (one server hosts parent and child): a
            # cut, but the parent's word on its DS is missing. Ask for the keys directly.
            return Verdict("indeterminate", msg("dnssec.child-side", zone=str(child), server=self.server))
        self._check_denial(response, parent, f"{child} DS")
        bitmap = _matching_types(response, child)
        if bitmap is None:
            if _opt_out(response):
                return Verdict("insecure", msg("dnssec.opt-out", zone=str(child), parent=str(parent.name)))
            return None  # an empty non-terminal or a name without own records: no cut here
        if dns.rdatatype.NS in bitmap and dns.rdatatype.SOA not in bitmap:
            return Verdict("insecure", msg("dnssec.unsigned", zone=str(child), parent=str(parent.name)))
        return None

    def _child_keys(self, child: dns.name.Name, ds: dns.rrset.RRset) -> _Zone:
        response = self._ask(child, dns.rdatatype.DNSKEY)
        keys = _find(response.answer, child, dns.rdatatype.DNSKEY)
        sigs = _find(response.answer, child, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
        if keys is None or sigs is None:
            raise _Stop(Verdict("bogus", msg("dnssec.no-keys", zone=str(child))))
        trusted = [k for k in keys if _matches_ds(child, k, tuple(ds))]
        if not trusted:
            raise _Stop(Verdict("bogus", msg("dnssec.ds-mismatch", zone=str(child))))
        try:
            dns.dnssec.validate(keys, sigs, {child: dns.rrset.from_rdata_list(child, keys.ttl, trusted)})
        except dns.exception.ValidationFailure as exc:
            raise _Stop(Verdict("bogus", msg("dnssec.keys-unsigned", zone=str(child), error=str(exc)))) from None
        return _Zone(child, keys)

    # -- single checks ----------------------------------------------------------------

    def _check(self, rrset: dns.rrset.RRset, section: list[dns.rrset.RRset], zone: _Zone, what: ParamValue) -> None:
        sigs = _find(section, rrset.name, dns.rdatatype.RRSIG, rrset.rdtype)
        if sigs is None:
            raise _Stop(Verdict("bogus", msg("dnssec.unsigned-set", what=what, zone=str(zone.name))))
        try:
            dns.dnssec.validate(rrset, sigs, {zone.name: zone.keys})
        except dns.exception.ValidationFailure as exc:
            reason = msg("dnssec.bad-signature", what=what, zone=str(zone.name), error=str(exc))
            raise _Stop(Verdict("bogus", reason)) from None

    def _check_denial(self, response: dns.message.Message, zone: _Zone, what: ParamValue) -> None:
        denials = [r for r in response.authority if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)]
        if not denials:
            raise _Stop(Verdict("bogus", msg("dnssec.no-denial", what=what, zone=str(zone.name))))
        for denial in denials:
            self._check(denial, response.authority, zone, msg("dnssec.what.nsec", name=str(denial.name)))

    def _ask(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        key = (name, rdtype)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            try:
                cached = self.query(name.to_text(), dns.rdatatype.to_text(rdtype))
                if cached.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    rcode = dns.rcode.to_text(cached.rcode())
                    what = f"{name} {dns.rdatatype.to_text(rdtype)}"
                    reason = msg("dnssec.rcode-from", what=what, rcode=rcode, server=self.server)
                    cached = Verdict("indeterminate", reason)
            except (dns.exception.DNSException, OSError, DeadlineExpired) as exc:
                what = f"{name} {dns.rdatatype.to_text(rdtype)}"
                error = str(exc) or type(exc).__name__
                reason = msg("dnssec.unavailable-from", what=what, server=self.server, error=error)
                cached = Verdict("indeterminate", reason)
            with self._lock:
                self._cache[key] = cached
        if isinstance(cached, Verdict):
            raise _Stop(cached)
        return cached


def resolver_address(dns_client: DnsClient) -> tuple[str, int] | None:
    """The server our DNSSEC queries go to: ``--resolver``, else the system's first."""
    if dns_client.spec.address is not None:
        return dns_client.spec.address, dns_client.spec.port
    try:
        system = dns.resolver.Resolver(configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError):
        return None
    return (str(system.nameservers[0]), system.port) if system.nameservers else None


def validator_for(dns_client: DnsClient, trust_anchor: Path | None, timeout: float = 3.0) -> ChainValidator | None:
    """A validator asking the run's resolver, from the built-in anchors plus the user's."""
    server = resolver_address(dns_client)
    if server is None:
        return None
    return ChainValidator(anchors_with(trust_anchor), server[0], server[1], timeout, deadline=dns_client.deadline)


def check_name(validator: ChainValidator | None, name: str, rdtype: str) -> Verdict:
    """Query and validate one name (the zone's MX, the MTA-STS TXT ...); never raises."""
    if validator is None:
        return Verdict("indeterminate", msg("dnssec.no-server"))
    try:
        response = validator.query(name, rdtype)
    except (dns.exception.DNSException, OSError, DeadlineExpired) as exc:
        error = str(exc) or type(exc).__name__
        return Verdict("indeterminate", msg("dnssec.unavailable", what=f"{name} {rdtype}", error=error))
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        rcode = dns.rcode.to_text(response.rcode())
        return Verdict("indeterminate", msg("dnssec.rcode", what=f"{name} {rdtype}", rcode=rcode))
    return validator.verify(response, name, rdtype)


def _matches_ds(zone: dns.name.Name, key: dns.rdata.Rdata, ds_set: Sequence[dns.rdata.Rdata]) -> bool:
    for ds in ds_set:
        try:
            if dns.dnssec.make_ds(zone, key, cast(DS, ds).digest_type) == ds:
                return True
        except dns.exception.DNSException:  # a digest type dnspython does not know
            continue
    return False


def _matching_types(response: dns.message.Message, name: dns.name.Name) -> set[int] | None:
    """Types listed for exactly ``name`` by an NSEC or NSEC3 record of the response."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.NSEC and rrset.name == name:
            return _types(rrset[0])
        if rrset.rdtype == dns.rdatatype.NSEC3:
            nsec3 = cast(NSEC3, rrset[0])
            zone = rrset.name.parent()
            hashed = dns.dnssec.nsec3_hash(name, nsec3.salt, nsec3.iterations, nsec3.algorithm)
            if rrset.name == dns.name.from_text(hashed, zone):
                return _types(nsec3)
    return None


def _opt_out(response: dns.message.Message) -> bool:
    return any(rrset.rdtype == dns.rdatatype.NSEC3 and cast(NSEC3, rrset[0]).flags & 1 for rrset in response.authority)


def _types(rdata: dns.rdata.Rdata) -> set[int]:
    found: set[int] = set()
    for window, bitmap in getattr(rdata, "windows", ()):
        for index, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    found.add(window * 256 + index * 8 + bit)
    return found


__all__ = [
    "ChainValidator",
    "TrustAnchor",
    "TrustAnchorError",
    "Verdict",
    "anchors_with",
    "check_name",
    "resolver_address",
    "validator_for",
    "query_signed",
    "root_anchors",
]
