"""Find a mail domain's services in DNS: MX (RFC 5321 §5.1, RFC 7505), SRV (RFC 6186/8314).

Discovery decides what the rest of the audit probes, so it keeps every answer (and
every failed lookup, with its reason) in the evidence: a DPO must be able to see why a
host was or was not examined.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from auditor.collectors.dnsclient import DnsClient
from auditor.evidence.network import Discovery, DnsAnswer, Endpoint, MxHost
from auditor.models import Message, msg

# RFC 6186 / RFC 8314 service labels → (proto, default port, tls mode)
SRV_SERVICES: dict[str, tuple[str, str]] = {
    "_submission._tcp": ("submission", "starttls"),
    "_submissions._tcp": ("submissions", "implicit"),
    "_imap._tcp": ("imap", "starttls"),
    "_imaps._tcp": ("imaps", "implicit"),
    "_pop3._tcp": ("pop3", "starttls"),
    "_pop3s._tcp": ("pop3s", "implicit"),
}

# --service host:port/proto ; the TLS mode follows from the protocol.
PROTO_TLS: dict[str, str] = {
    "smtp": "starttls",
    "submission": "starttls",
    "submissions": "implicit",
    "smtps": "implicit",
    "imap": "starttls",
    "imaps": "implicit",
    "pop3": "starttls",
    "pop3s": "implicit",
    "https": "implicit",
}
DEFAULT_PORTS = {
    "smtp": 25,
    "submission": 587,
    "submissions": 465,
    "smtps": 465,
    "imap": 143,
    "imaps": 993,
    "pop3": 110,
    "pop3s": 995,
    "https": 443,
}

_SERVICE_RE = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?/(?P<proto>[a-z0-9]+)$")
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}\.?$")


class ServiceSpecError(ValueError):
    """A ``--service`` argument that cannot be understood."""


def parse_service(spec: str) -> tuple[str, int, str]:
    """``mail.example.org:587/submission`` → (host, port, proto); port defaults by proto."""
    match = _SERVICE_RE.match(spec.strip())
    if not match:
        raise ServiceSpecError(f"--service {spec!r}: expected HOST[:PORT]/PROTO, e.g. mail.example.org:587/submission")
    proto = match["proto"]
    if proto not in PROTO_TLS:
        raise ServiceSpecError(
            f"--service {spec!r}: unknown protocol {proto!r} (one of {', '.join(sorted(PROTO_TLS))})"
        )
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[proto]
    if not 0 < port < 65536:
        raise ServiceSpecError(f"--service {spec!r}: port out of range")
    return match["host"].strip("[]"), port, "submissions" if proto == "smtps" else proto


def is_hostname(text: str) -> bool:
    return bool(_HOSTNAME_RE.match(text))


def discover(domain: str, dns: DnsClient, services: Sequence[str] = ()) -> Discovery:
    domain = domain.rstrip(".").lower()
    mx = dns.query(domain, "MX")
    mx_hosts: list[MxHost] = []
    null_mx = implicit = False
    fatal: str | Message | None = None
    if mx.ok:
        parsed = sorted(_parse_mx(mx), key=lambda p: (p[0], p[1]))
        if len(parsed) == 1 and parsed[0][1] == ".":
            null_mx = True  # RFC 7505: the domain accepts no mail
        mx_names = [(pref, name) for pref, name in parsed if name != "."]
    elif mx.status == "nodata":
        # RFC 5321 §5.1: without MX the domain's own address is the implicit MX.
        addresses, _ = dns.addresses(domain)
        mx_names = [(0, domain)] if addresses else []
        implicit = bool(addresses)
        if not addresses:
            fatal = msg("dns.answer.no-mail-host", domain=domain)
    else:
        mx_names = []
        fatal = mx.error or msg("dns.answer.mx-failed", status=mx.status)

    def resolve(item: tuple[int, str]) -> MxHost:
        pref, name = item
        addresses, problems = dns.addresses(name)
        return MxHost(name=name, preference=pref, addresses=addresses, lookup_errors=problems)

    if mx.status not in ("ok", "nodata"):
        # NXDOMAIN, or DNS itself is unusable: more lookups would only wait out more timeouts.
        return Discovery(domain=domain, resolver=str(dns.spec), mx=mx, fatal=fatal)
    srv_names = [f"{label}.{domain}" for label in SRV_SERVICES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        mx_hosts = list(pool.map(resolve, mx_names))
        srv_answers = list(pool.map(lambda n: dns.query(n, "SRV"), srv_names))

    endpoints: list[Endpoint] = []
    for host in mx_hosts:
        via = f"{domain} MX {host.preference} {host.name}" if not implicit else f"{domain} has no MX (implicit MX)"
        endpoints.append(Endpoint(host.name, 25, "smtp", "starttls", "mx", host.addresses, host.lookup_errors, via))
    for label, answer in zip(SRV_SERVICES, srv_answers, strict=True):
        proto, tls = SRV_SERVICES[label]
        for target, port in _parse_srv(answer):
            addresses, problems = dns.addresses(target)
            via = f"{label}.{domain} SRV {port} {target}"
            endpoints.append(Endpoint(target, port, proto, tls, "srv", addresses, problems, via))
    for spec in services:
        name, port, proto = parse_service(spec)
        addresses, problems = ((name,), ()) if is_ip(name) else dns.addresses(name)
        via = f"--service {spec}"
        endpoints.append(Endpoint(name, port, proto, PROTO_TLS[proto], "user", addresses, problems, via))
    return Discovery(
        domain=domain,
        resolver=str(dns.spec),
        mx=mx,
        mx_hosts=tuple(mx_hosts),
        null_mx=null_mx,
        implicit_mx=implicit,
        srv=tuple(srv_answers),
        endpoints=tuple(_unique(endpoints)),
        fatal=fatal if not mx_hosts and not null_mx else None,
    )


def _parse_mx(answer: DnsAnswer) -> list[tuple[int, str]]:
    result = []
    for record in answer.records:
        pref, _, name = record.partition(" ")
        if pref.isdigit():
            result.append((int(pref), name.rstrip(".").lower() or "."))
    return result


def _parse_srv(answer: DnsAnswer) -> list[tuple[str, int]]:
    """SRV ``priority weight port target``; target ``.`` means "not offered" (RFC 2782)."""
    found: list[tuple[str, int]] = []
    if not answer.ok:
        return found
    for record in answer.records:
        fields = record.split()
        if len(fields) == 4 and fields[2].isdigit():
            target = fields[3].rstrip(".").lower()
            if target:
                found.append((target, int(fields[2])))
    return found


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _unique(endpoints: list[Endpoint]) -> list[Endpoint]:
    seen: dict[tuple[str, int], Endpoint] = {}
    for endpoint in endpoints:
        seen.setdefault((endpoint.host, endpoint.port), endpoint)
    return list(seen.values())
