"""DNS lookups as values, through one configurable resolver (dnspython).

Every lookup of the run goes through one :class:`DnsClient` so ``--resolver`` applies
everywhere (discovery, TXT records, and the addresses HTTPS and TLS connect to), which
is what makes private and test domains auditable. Failures come back as a
:class:`DnsAnswer` with a status and reason, never as an exception.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from auditor.collectors.shared import Lookups
from auditor.deadline import Deadline
from auditor.evidence.network import DnsAnswer
from auditor.messages import render
from auditor.models import msg

MAX_RECORDS = 64
MAX_RECORD_CHARS = 4096


@dataclass(frozen=True, slots=True)
class ResolverSpec:
    """``--resolver IP[:PORT]`` parsed; ``None`` address means the system resolver."""

    address: str | None = None
    port: int = 53

    @classmethod
    def parse(cls, text: str | None) -> ResolverSpec:
        if not text:
            return cls()
        host, port = text, 53
        if text.startswith("["):  # [v6]:port
            host, _, rest = text[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = int(port_text)
        ipaddress.ip_address(host)  # raises ValueError for names: a resolver must be an address
        if not 0 < port < 65536:
            raise ValueError(f"port out of range: {port}")
        return cls(host, port)

    def __str__(self) -> str:
        if self.address is None:
            return "system"
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


class DnsClient:
    """A dnspython stub resolver with bounded time, answering with :class:`DnsAnswer`.

    Each lookup waits at most ``lifetime`` seconds, and none outlives ``deadline`` (the
    run's time budget): once it has passed, lookups answer ``timeout`` at once.
    """

    def __init__(
        self,
        spec: ResolverSpec | None = None,
        *,
        timeout: float = 3.0,
        lifetime: float = 8.0,
        deadline: Deadline | None = None,
        shared: Lookups[DnsAnswer] | None = None,
    ) -> None:
        self.spec = spec or ResolverSpec()
        self._shared = shared
        self.deadline = deadline or Deadline()
        self._setup_error: str | None = None
        try:
            if self.spec.address is None:
                resolver = dns.resolver.Resolver(configure=True)
            else:
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [self.spec.address]
                resolver.port = self.spec.port
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            resolver = dns.resolver.Resolver(configure=False)
            self._setup_error = f"no usable system resolver: {exc}"
        resolver.timeout = timeout
        resolver.lifetime = lifetime
        # Ask for DNSSEC records so a validating upstream can tell us via the AD bit.
        resolver.use_edns(0, dns.flags.DO, 1232)
        self._resolver = resolver
        self._cache: dict[tuple[str, str], DnsAnswer] = {}
        self._lock = threading.Lock()

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        key = (name.lower().rstrip("."), rdtype)
        if self._shared is not None:  # a fleet: one answer per name for every domain of the run
            return self._shared.fetch(f"{self.spec}|{key[0]}|{rdtype}", lambda: self._query(key[0], rdtype))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        answer = self._query(key[0], rdtype)
        with self._lock:
            self._cache[key] = answer
        return answer

    def _query(self, name: str, rdtype: str) -> DnsAnswer:
        if self._setup_error:
            return DnsAnswer(name, rdtype, "error", error=self._setup_error)
        lifetime = min(float(self._resolver.lifetime), self.deadline.remaining())
        if lifetime <= 0:
            return DnsAnswer(name, rdtype, "timeout", error=msg("dns.answer.budget", name=name, rdtype=rdtype))
        try:
            result = self._resolver.resolve(name, rdtype, raise_on_no_answer=True, search=False, lifetime=lifetime)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rdtype, "nxdomain", error=msg("dns.answer.nxdomain", name=name))
        except dns.resolver.NoAnswer:
            return DnsAnswer(name, rdtype, "nodata", error=msg("dns.answer.nodata", name=name, rdtype=rdtype))
        except dns.resolver.NoNameservers as exc:
            failed = msg("dns.answer.no-server", name=name, rdtype=rdtype, error=_short(exc))
            return DnsAnswer(name, rdtype, "servfail", error=failed)
        except dns.resolver.LifetimeTimeout:
            timeout = msg("dns.answer.timeout", name=name, rdtype=rdtype, via=str(self.spec))
            return DnsAnswer(name, rdtype, "timeout", error=timeout)
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            failed = msg("dns.answer.error", name=name, rdtype=rdtype, error=_short(exc))
            return DnsAnswer(name, rdtype, "error", error=failed)
        records = tuple(_present(rdata, rdtype) for rdata in list(result)[:MAX_RECORDS])
        return DnsAnswer(
            name,
            rdtype,
            "ok",
            records=records,
            ttl=result.rrset.ttl if result.rrset is not None else None,
            # The AD bit proves nothing to us (a resolver may not validate, or lie): names
            # whose security matters are validated by collectors.dnssec instead.
        )

    def addresses(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A and AAAA of ``name``: (addresses, reasons for lookups that failed)."""
        found: list[str] = []
        failed: list[DnsAnswer] = []
        for rdtype in ("A", "AAAA"):
            answer = self.query(name, rdtype)
            if answer.ok:
                found.extend(answer.records)
            elif answer.status not in ("nodata",):
                failed.append(answer)
        if found:
            # One missing family is normal; only report failures when nothing was found
            # or a lookup failed for a reason other than "no such record".
            failed = [a for a in failed if a.status != "nxdomain"]
        # Endpoint and MX lookup errors are still plain text (English) in the evidence.
        problems = [render(a.error, "en") if a.error is not None else a.status for a in failed]
        return tuple(dict.fromkeys(found)), tuple(problems)


def _present(rdata: object, rdtype: str) -> str:
    """Presentation form; TXT strings are joined (RFC 7208 §3.3) and decoded leniently."""
    if rdtype == "TXT":
        strings = getattr(rdata, "strings", ())
        text = b"".join(strings).decode("utf-8", "replace")
    else:
        text = str(rdata)
    return text[:MAX_RECORD_CHARS]


def _short(exc: BaseException) -> str:
    return str(exc)[:300] or type(exc).__name__
